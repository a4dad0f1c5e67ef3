import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader, Writer } from '../primitives.ts';
import { assertEveryTruncationRejected, assertProtocolError, cat, i16, i32, i64, str } from '../test-bytes.ts';
import {
  decodeInitProducerIdRequest,
  decodeInitProducerIdResponse,
  encodeInitProducerIdRequest,
  encodeInitProducerIdResponse,
} from './init-producer-id.ts';

const requestBytes = cat(
  str('payments-txn'), // transactional_id
  i32(60000), // transaction_timeout_ms
);

const responseBytes = cat(
  i32(0), // throttle_time_ms
  i16(0), // error_code
  i64(1001), // producer_id
  i16(2), // producer_epoch
);

test('init producer id v0 request decodes a transactional id and timeout', () => {
  const r = new Reader(requestBytes);
  assert.deepEqual(decodeInitProducerIdRequest(r), { transactionalId: 'payments-txn', transactionTimeoutMs: 60000 });
  r.expectEnd();
});

test('init producer id v0 request accepts a null transactional id (idempotent only)', () => {
  assert.deepEqual(decodeInitProducerIdRequest(new Reader(cat(str(null), i32(-1)))), { transactionalId: null, transactionTimeoutMs: -1 });
});

test('init producer id v0 response encodes the producer id and epoch', () => {
  const w = new Writer();
  encodeInitProducerIdResponse(w, { throttleTimeMs: 0, errorCode: 0, producerId: 1001, producerEpoch: 2 });
  assert.deepEqual(w.finish(), responseBytes);
});

test('init producer id v0 request and response round-trip', () => {
  const w = new Writer();
  encodeInitProducerIdRequest(w, { transactionalId: 'payments-txn', transactionTimeoutMs: 60000 });
  assert.deepEqual(w.finish(), requestBytes);
  assert.deepEqual(decodeInitProducerIdResponse(new Reader(responseBytes)), { throttleTimeMs: 0, errorCode: 0, producerId: 1001, producerEpoch: 2 });
});

test('init producer id v0 decoders reject truncated and garbage input', () => {
  assertEveryTruncationRejected(requestBytes, decodeInitProducerIdRequest);
  assertEveryTruncationRejected(responseBytes, decodeInitProducerIdResponse);
  assertProtocolError(() => decodeInitProducerIdRequest(new Reader(cat(i16(400), Buffer.from('ab')))), 'invalid_length');
});
