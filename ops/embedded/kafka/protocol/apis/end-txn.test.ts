import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader, Writer } from '../primitives.ts';
import { assertEveryTruncationRejected, assertProtocolError, bool, cat, i16, i32, i64, str } from '../test-bytes.ts';
import { decodeEndTxnRequest, decodeEndTxnResponse, encodeEndTxnRequest, encodeEndTxnResponse } from './end-txn.ts';

const requestBytes = cat(
  str('payments-txn'), // transactional_id
  i64(1001), // producer_id
  i16(0), // producer_epoch
  bool(true), // committed
);

const request = { transactionalId: 'payments-txn', producerId: 1001, producerEpoch: 0, committed: true };

const responseBytes = cat(
  i32(0), // throttle_time_ms
  i16(48), // INVALID_TXN_STATE
);

test('end txn v0 request decodes the producer and the commit flag', () => {
  const r = new Reader(requestBytes);
  assert.deepEqual(decodeEndTxnRequest(r), request);
  r.expectEnd();
});

test('end txn v0 response encodes throttle time then error code', () => {
  const w = new Writer();
  encodeEndTxnResponse(w, { throttleTimeMs: 0, errorCode: 48 });
  assert.deepEqual(w.finish(), responseBytes);
});

test('end txn v0 request and response round-trip', () => {
  const w = new Writer();
  encodeEndTxnRequest(w, { ...request, committed: false });
  assert.deepEqual(decodeEndTxnRequest(new Reader(w.finish())), { ...request, committed: false });
  assert.deepEqual(decodeEndTxnResponse(new Reader(responseBytes)), { throttleTimeMs: 0, errorCode: 48 });
});

test('end txn v0 decoders reject truncated and garbage input', () => {
  assertEveryTruncationRejected(requestBytes, decodeEndTxnRequest);
  assertEveryTruncationRejected(responseBytes, decodeEndTxnResponse);
  assertProtocolError(() => decodeEndTxnRequest(new Reader(cat(str('t'), i64(1), i16(0), Buffer.from([2])))), 'invalid_boolean');
});
