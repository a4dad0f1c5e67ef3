import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader, Writer } from '../primitives.ts';
import { assertEveryTruncationRejected, assertProtocolError, cat, count, i16, i32, str } from '../test-bytes.ts';
import { decodeDeleteTopicsRequest, decodeDeleteTopicsResponse, encodeDeleteTopicsRequest, encodeDeleteTopicsResponse } from './delete-topics.ts';

const requestBytes = cat(
  count(2), // topic_names
  str('payments'),
  str('missing'),
  i32(5000), // timeout_ms
);

const responseBytes = cat(
  count(2), // responses (no throttle time at v0)
  str('payments'), i16(0), // name, error_code
  str('missing'), i16(3), // UNKNOWN_TOPIC_OR_PARTITION
);

const response = { responses: [{ name: 'payments', errorCode: 0 }, { name: 'missing', errorCode: 3 }] };

test('delete topics v0 request decodes the names and the timeout', () => {
  const r = new Reader(requestBytes);
  assert.deepEqual(decodeDeleteTopicsRequest(r), { topicNames: ['payments', 'missing'], timeoutMs: 5000 });
  r.expectEnd();
});

test('delete topics v0 response encodes an error code per topic', () => {
  const w = new Writer();
  encodeDeleteTopicsResponse(w, response);
  assert.deepEqual(w.finish(), responseBytes);
});

test('delete topics v0 request and response round-trip', () => {
  const w = new Writer();
  encodeDeleteTopicsRequest(w, { topicNames: ['payments', 'missing'], timeoutMs: 5000 });
  assert.deepEqual(w.finish(), requestBytes);
  assert.deepEqual(decodeDeleteTopicsResponse(new Reader(responseBytes)), response);
});

test('delete topics v0 decoders reject truncated and garbage input', () => {
  assertEveryTruncationRejected(requestBytes, decodeDeleteTopicsRequest);
  assertEveryTruncationRejected(responseBytes, decodeDeleteTopicsResponse);
  assertProtocolError(() => decodeDeleteTopicsRequest(new Reader(cat(count(-2), i32(0)))), 'invalid_length');
});
