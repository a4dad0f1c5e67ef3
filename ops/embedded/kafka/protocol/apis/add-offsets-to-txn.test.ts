import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader, Writer } from '../primitives.ts';
import { assertEveryTruncationRejected, assertProtocolError, cat, i16, i32, i64, str } from '../test-bytes.ts';
import {
  decodeAddOffsetsToTxnRequest,
  decodeAddOffsetsToTxnResponse,
  encodeAddOffsetsToTxnRequest,
  encodeAddOffsetsToTxnResponse,
} from './add-offsets-to-txn.ts';

const requestBytes = cat(
  str('payments-txn'), // transactional_id
  i64(1001), // producer_id
  i16(3), // producer_epoch
  str('settlement'), // group_id
);

const request = { transactionalId: 'payments-txn', producerId: 1001, producerEpoch: 3, groupId: 'settlement' };

const responseBytes = cat(
  i32(0), // throttle_time_ms
  i16(47), // INVALID_PRODUCER_EPOCH
);

test('add offsets to txn v0 request decodes the producer and the group', () => {
  const r = new Reader(requestBytes);
  assert.deepEqual(decodeAddOffsetsToTxnRequest(r), request);
  r.expectEnd();
});

test('add offsets to txn v0 response encodes throttle time then error code', () => {
  const w = new Writer();
  encodeAddOffsetsToTxnResponse(w, { throttleTimeMs: 0, errorCode: 47 });
  assert.deepEqual(w.finish(), responseBytes);
});

test('add offsets to txn v0 request and response round-trip', () => {
  const w = new Writer();
  encodeAddOffsetsToTxnRequest(w, request);
  assert.deepEqual(w.finish(), requestBytes);
  assert.deepEqual(decodeAddOffsetsToTxnResponse(new Reader(responseBytes)), { throttleTimeMs: 0, errorCode: 47 });
});

test('add offsets to txn v0 decoders reject truncated and garbage input', () => {
  assertEveryTruncationRejected(requestBytes, decodeAddOffsetsToTxnRequest);
  assertEveryTruncationRejected(responseBytes, decodeAddOffsetsToTxnResponse);
  assertProtocolError(() => decodeAddOffsetsToTxnRequest(new Reader(cat(str('t'), i64(2n ** 63n - 1n), i16(0), str('g')))), 'int64_out_of_range');
});
