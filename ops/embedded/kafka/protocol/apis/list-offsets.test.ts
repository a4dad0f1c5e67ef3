import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader, Writer } from '../primitives.ts';
import { assertEveryTruncationRejected, assertProtocolError, cat, count, i16, i32, i64, i8, str } from '../test-bytes.ts';
import {
  type ListOffsetsRequest,
  type ListOffsetsResponse,
  decodeListOffsetsRequest,
  decodeListOffsetsResponse,
  encodeListOffsetsRequest,
  encodeListOffsetsResponse,
} from './list-offsets.ts';

const requestBytes = cat(
  i32(-1), // replica_id
  i8(1), // isolation_level: read_committed
  count(1), // topics
  str('payments'),
  count(2), // partitions
  i32(0), i64(-2), // partition_index, timestamp: earliest
  i32(1), i64(-1), // latest
);

const request: ListOffsetsRequest = {
  replicaId: -1,
  isolationLevel: 1,
  topics: [{ name: 'payments', partitions: [{ partitionIndex: 0, timestamp: -2 }, { partitionIndex: 1, timestamp: -1 }] }],
};

const response: ListOffsetsResponse = {
  throttleTimeMs: 0,
  topics: [
    {
      name: 'payments',
      partitions: [
        { partitionIndex: 0, errorCode: 0, timestamp: -1, offset: 0 },
        { partitionIndex: 1, errorCode: 0, timestamp: -1, offset: 42 },
      ],
    },
  ],
};

const responseBytes = cat(
  i32(0), // throttle_time_ms
  count(1), // topics
  str('payments'),
  count(2), // partitions
  i32(0), i16(0), i64(-1), i64(0), // partition_index, error_code, timestamp, offset
  i32(1), i16(0), i64(-1), i64(42),
);

test('list offsets v2 request decodes isolation level and timestamps', () => {
  const r = new Reader(requestBytes);
  assert.deepEqual(decodeListOffsetsRequest(r), request);
  r.expectEnd();
});

test('list offsets v2 response encodes timestamp and offset per partition', () => {
  const w = new Writer();
  encodeListOffsetsResponse(w, response);
  assert.deepEqual(w.finish(), responseBytes);
});

test('list offsets v2 request and response round-trip', () => {
  const w = new Writer();
  encodeListOffsetsRequest(w, request);
  assert.deepEqual(w.finish(), requestBytes);
  assert.deepEqual(decodeListOffsetsResponse(new Reader(responseBytes)), response);
});

test('list offsets v2 decoders reject truncated and garbage input', () => {
  assertEveryTruncationRejected(requestBytes, decodeListOffsetsRequest);
  assertEveryTruncationRejected(responseBytes, decodeListOffsetsResponse);
  assertProtocolError(() => decodeListOffsetsRequest(new Reader(cat(i32(-1), i8(0), count(1), i16(-1)))), 'unexpected_null');
});
