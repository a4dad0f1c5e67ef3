import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader, Writer } from '../primitives.ts';
import { assertEveryTruncationRejected, assertProtocolError, byt, cat, count, i16, i32, i64, i8, str } from '../test-bytes.ts';
import {
  type FetchRequest,
  type FetchResponse,
  decodeFetchRequest,
  decodeFetchResponse,
  encodeFetchRequest,
  encodeFetchResponse,
} from './fetch.ts';

const requestBytes = cat(
  i32(-1), // replica_id: a consumer
  i32(500), // max_wait_ms
  i32(1), // min_bytes
  i32(52428800), // max_bytes
  i8(1), // isolation_level: read_committed
  count(1), // topics
  str('payments'), // topic
  count(1), // partitions
  i32(2), i64(17), i32(1048576), // partition, fetch_offset, partition_max_bytes
);

const request: FetchRequest = {
  replicaId: -1,
  maxWaitMs: 500,
  minBytes: 1,
  maxBytes: 52428800,
  isolationLevel: 1,
  topics: [{ topic: 'payments', partitions: [{ partition: 2, fetchOffset: 17, partitionMaxBytes: 1048576 }] }],
};

const records = Buffer.from('0102030405', 'hex');

const response: FetchResponse = {
  throttleTimeMs: 0,
  responses: [
    {
      topic: 'payments',
      partitions: [
        {
          partitionIndex: 2,
          errorCode: 0,
          highWatermark: 30,
          lastStableOffset: 25,
          abortedTransactions: [{ producerId: 1000, firstOffset: 18 }],
          records,
        },
        { partitionIndex: 3, errorCode: 1, highWatermark: 0, lastStableOffset: 0, abortedTransactions: null, records: null },
      ],
    },
  ],
};

const responseBytes = cat(
  i32(0), // throttle_time_ms
  count(1), // responses
  str('payments'), // topic
  count(2), // partitions
  i32(2), i16(0), i64(30), i64(25), // partition_index, error_code, high_watermark, last_stable_offset
  count(1), i64(1000), i64(18), // aborted_transactions [(producer_id, first_offset)]
  byt(records), // records
  i32(3), i16(1), i64(0), i64(0), // OFFSET_OUT_OF_RANGE
  count(-1), // aborted_transactions null (read_uncommitted)
  byt(null), // records null
);

test('fetch v4 request decodes isolation level and partition offsets', () => {
  const r = new Reader(requestBytes);
  assert.deepEqual(decodeFetchRequest(r), request);
  r.expectEnd();
});

test('fetch v4 response encodes HW, LSO, aborted transactions and records', () => {
  const w = new Writer();
  encodeFetchResponse(w, response);
  assert.deepEqual(w.finish(), responseBytes);
});

test('fetch v4 response keeps an empty aborted list apart from a null one', () => {
  const w = new Writer();
  const p = { partitionIndex: 0, errorCode: 0, highWatermark: 0, lastStableOffset: 0, abortedTransactions: [], records: Buffer.alloc(0) };
  encodeFetchResponse(w, { throttleTimeMs: 0, responses: [{ topic: 't', partitions: [p] }] });
  const decoded = decodeFetchResponse(new Reader(w.finish()));
  assert.deepEqual(decoded.responses[0]?.partitions[0]?.abortedTransactions, []);
});

test('fetch v4 request and response round-trip', () => {
  const w = new Writer();
  encodeFetchRequest(w, request);
  assert.deepEqual(w.finish(), requestBytes);
  assert.deepEqual(decodeFetchResponse(new Reader(responseBytes)), response);
});

test('fetch v4 decoders reject truncated and garbage input', () => {
  assertEveryTruncationRejected(requestBytes, decodeFetchRequest);
  assertEveryTruncationRejected(responseBytes, decodeFetchResponse);
  const garbageTopics = cat(i32(-1), i32(0), i32(0), i32(0), i8(0), count(-7));
  assertProtocolError(() => decodeFetchRequest(new Reader(garbageTopics)), 'invalid_length');
  const hugeOffset = cat(i32(-1), i32(0), i32(0), i32(0), i8(0), count(1), str('t'), count(1), i32(0), i64(-(2n ** 60n)), i32(0));
  assertProtocolError(() => decodeFetchRequest(new Reader(hugeOffset)), 'int64_out_of_range');
});
