import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader, Writer } from '../primitives.ts';
import { assertEveryTruncationRejected, assertProtocolError, cat, count, i16, i32, i64, str } from '../test-bytes.ts';
import {
  type OffsetFetchResponse,
  decodeOffsetFetchRequest,
  decodeOffsetFetchResponse,
  encodeOffsetFetchRequest,
  encodeOffsetFetchResponse,
} from './offset-fetch.ts';

const requestBytes = cat(
  str('settlement'), // group_id
  count(1), // topics
  str('payments'), // name
  count(2), i32(0), i32(1), // partition_indexes [0, 1]
);

const response: OffsetFetchResponse = {
  throttleTimeMs: 0,
  topics: [
    {
      name: 'payments',
      partitions: [
        { partitionIndex: 0, committedOffset: 12, metadata: null, errorCode: 0 },
        { partitionIndex: 1, committedOffset: -1, metadata: '', errorCode: 0 },
      ],
    },
  ],
  errorCode: 0,
};

const responseBytes = cat(
  i32(0), // throttle_time_ms
  count(1), // topics
  str('payments'),
  count(2), // partitions
  i32(0), i64(12), str(null), i16(0), // partition_index, committed_offset, metadata, error_code
  i32(1), i64(-1), str(''), i16(0), // nothing committed: -1, ""
  i16(0), // top-level error_code
);

test('offset fetch v3 request decodes topics and partition indexes', () => {
  const r = new Reader(requestBytes);
  assert.deepEqual(decodeOffsetFetchRequest(r), { groupId: 'settlement', topics: [{ name: 'payments', partitionIndexes: [0, 1] }] });
  r.expectEnd();
});

test('offset fetch v3 request decodes null topics as all topics', () => {
  assert.deepEqual(decodeOffsetFetchRequest(new Reader(cat(str('g'), count(-1)))), { groupId: 'g', topics: null });
});

test('offset fetch v3 response encodes offsets, metadata and the top-level error last', () => {
  const w = new Writer();
  encodeOffsetFetchResponse(w, response);
  assert.deepEqual(w.finish(), responseBytes);
});

test('offset fetch v3 request and response round-trip', () => {
  const w = new Writer();
  encodeOffsetFetchRequest(w, { groupId: 'g', topics: null });
  assert.deepEqual(w.finish(), cat(str('g'), count(-1)));
  assert.deepEqual(decodeOffsetFetchResponse(new Reader(responseBytes)), response);
});

test('offset fetch v3 decoders reject truncated and garbage input', () => {
  assertEveryTruncationRejected(requestBytes, decodeOffsetFetchRequest);
  assertEveryTruncationRejected(responseBytes, decodeOffsetFetchResponse);
  assertProtocolError(() => decodeOffsetFetchRequest(new Reader(cat(str('g'), count(1), str('t'), count(-1)))), 'unexpected_null');
});
