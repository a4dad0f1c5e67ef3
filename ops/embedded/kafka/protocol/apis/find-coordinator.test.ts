import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader, Writer } from '../primitives.ts';
import { assertEveryTruncationRejected, assertProtocolError, cat, i16, i32, i8, str } from '../test-bytes.ts';
import {
  type FindCoordinatorResponse,
  decodeFindCoordinatorRequest,
  decodeFindCoordinatorResponse,
  encodeFindCoordinatorRequest,
  encodeFindCoordinatorResponse,
} from './find-coordinator.ts';

const requestBytes = cat(
  str('payments-txn'), // key
  i8(1), // key_type: transaction
);

const response: FindCoordinatorResponse = { throttleTimeMs: 0, errorCode: 0, errorMessage: null, nodeId: 0, host: '127.0.0.1', port: 39092 };

const responseBytes = cat(
  i32(0), // throttle_time_ms
  i16(0), // error_code
  str(null), // error_message
  i32(0), // node_id
  str('127.0.0.1'), // host
  i32(39092), // port
);

test('find coordinator v1 request decodes the key and its type', () => {
  const r = new Reader(requestBytes);
  assert.deepEqual(decodeFindCoordinatorRequest(r), { key: 'payments-txn', keyType: 1 });
  r.expectEnd();
});

test('find coordinator v1 response encodes node 0 and its address', () => {
  const w = new Writer();
  encodeFindCoordinatorResponse(w, response);
  assert.deepEqual(w.finish(), responseBytes);
});

test('find coordinator v1 request and response round-trip', () => {
  const w = new Writer();
  encodeFindCoordinatorRequest(w, { key: 'payments-txn', keyType: 1 });
  assert.deepEqual(w.finish(), requestBytes);
  assert.deepEqual(decodeFindCoordinatorResponse(new Reader(responseBytes)), response);
  const withMessage = { ...response, errorCode: 15, errorMessage: 'not yet' };
  const w2 = new Writer();
  encodeFindCoordinatorResponse(w2, withMessage);
  assert.deepEqual(decodeFindCoordinatorResponse(new Reader(w2.finish())), withMessage);
});

test('find coordinator v1 decoders reject truncated and garbage input', () => {
  assertEveryTruncationRejected(requestBytes, decodeFindCoordinatorRequest);
  assertEveryTruncationRejected(responseBytes, decodeFindCoordinatorResponse);
  assertProtocolError(() => decodeFindCoordinatorRequest(new Reader(cat(i16(-1), i8(0)))), 'unexpected_null');
});
