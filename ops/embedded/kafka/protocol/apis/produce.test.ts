import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader, Writer } from '../primitives.ts';
import { assertEveryTruncationRejected, assertProtocolError, byt, cat, count, i16, i32, i64, str } from '../test-bytes.ts';
import {
  type ProduceRequest,
  type ProduceResponse,
  decodeProduceRequest,
  decodeProduceResponse,
  encodeProduceRequest,
  encodeProduceResponse,
} from './produce.ts';

/** Stand-in record batch: the codec treats records as opaque bytes. */
const batch = Buffer.from('000000000000000000000031', 'hex');

const requestBytes = cat(
  str('txn-1'), // transactional_id
  i16(-1), // acks
  i32(30000), // timeout_ms
  count(1), // topic_data
  str('payments'), // name
  count(2), // partition_data
  i32(0), byt(batch), // index 0, records
  i32(1), byt(null), // index 1, null records
);

const request: ProduceRequest = {
  transactionalId: 'txn-1',
  acks: -1,
  timeoutMs: 30000,
  topicData: [{ name: 'payments', partitionData: [{ index: 0, records: batch }, { index: 1, records: null }] }],
};

const response: ProduceResponse = {
  responses: [
    {
      name: 'payments',
      partitionResponses: [
        { index: 0, errorCode: 0, baseOffset: 2 ** 40, logAppendTimeMs: -1 },
        { index: 1, errorCode: 47, baseOffset: -1, logAppendTimeMs: -1 },
      ],
    },
  ],
  throttleTimeMs: 0,
};

const responseBytes = cat(
  count(1), // responses
  str('payments'),
  count(2), // partition_responses
  i32(0), i16(0), i64(2 ** 40), i64(-1), // index, error_code, base_offset, log_append_time_ms
  i32(1), i16(47), i64(-1), i64(-1), // INVALID_PRODUCER_EPOCH
  i32(0), // throttle_time_ms comes last in v3
);

test('produce v3 request decodes transactional id, acks and opaque records', () => {
  const r = new Reader(requestBytes);
  assert.deepEqual(decodeProduceRequest(r), request);
  r.expectEnd();
});

test('produce v3 request accepts a null transactional id', () => {
  const bytes = cat(str(null), i16(1), i32(100), count(0));
  assert.deepEqual(decodeProduceRequest(new Reader(bytes)), { transactionalId: null, acks: 1, timeoutMs: 100, topicData: [] });
});

test('produce v3 response encodes base offsets and puts the throttle time last', () => {
  const w = new Writer();
  encodeProduceResponse(w, response);
  assert.deepEqual(w.finish(), responseBytes);
});

test('produce v3 request and response round-trip', () => {
  const w = new Writer();
  encodeProduceRequest(w, request);
  assert.deepEqual(w.finish(), requestBytes);
  assert.deepEqual(decodeProduceResponse(new Reader(responseBytes)), response);
});

test('produce v3 decoders reject truncated and garbage input', () => {
  assertEveryTruncationRejected(requestBytes, decodeProduceRequest);
  assertEveryTruncationRejected(responseBytes, decodeProduceResponse);
  // A records length far beyond the frame must fail before allocating.
  const hugeRecords = cat(str(null), i16(1), i32(100), count(1), str('t'), count(1), i32(0), i32(0x7ffffff0));
  assertProtocolError(() => decodeProduceRequest(new Reader(hugeRecords)), 'invalid_length');
  const badBaseOffset = cat(count(1), str('t'), count(1), i32(0), i16(0), i64(2n ** 62n), i64(-1), i32(0));
  assertProtocolError(() => decodeProduceResponse(new Reader(badBaseOffset)), 'int64_out_of_range');
});
