import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeRequestHeader, encodeRequestHeader, frame, frameResponse, responseWithoutSize } from './header.ts';
import { Reader, Writer } from './primitives.ts';
import { assertEveryTruncationRejected, assertProtocolError, cat, i16, i32, str } from './test-bytes.ts';

test('request header v1 decodes api key, version, correlation id and client id', () => {
  const bytes = cat(
    i16(3), // api_key: Metadata
    i16(4), // api_version
    i32(42), // correlation_id
    str('rdkafka'), // client_id
    Buffer.from([0xaa]), // first body byte, left unread
  );
  const r = new Reader(bytes);
  assert.deepEqual(decodeRequestHeader(r), { apiKey: 3, apiVersion: 4, correlationId: 42, clientId: 'rdkafka' });
  assert.equal(r.offset, bytes.length - 1);
});

test('request header v1 accepts a null client id', () => {
  const bytes = cat(i16(18), i16(2), i32(1), i16(-1));
  assert.deepEqual(decodeRequestHeader(new Reader(bytes)), { apiKey: 18, apiVersion: 2, correlationId: 1, clientId: null });
});

test('request header round-trips through the test client encoder', () => {
  const h = { apiKey: 0, apiVersion: 3, correlationId: -5, clientId: 'kafkajs' };
  const w = new Writer();
  encodeRequestHeader(w, h);
  assert.deepEqual(decodeRequestHeader(new Reader(w.finish())), h);
});

test('request header rejects truncation and a client id longer than the frame', () => {
  assertEveryTruncationRejected(cat(i16(3), i16(4), i32(42), str('abc')), decodeRequestHeader);
  assertProtocolError(() => decodeRequestHeader(new Reader(cat(i16(3), i16(4), i32(42), i16(100), Buffer.from('ab')))), 'invalid_length');
  assertProtocolError(() => decodeRequestHeader(new Reader(cat(i16(3), i16(4), i32(42), i16(-2)))), 'invalid_length');
});

test('response frames carry the size, then the correlation id, then the body', () => {
  const body = Buffer.from([1, 2, 3]);
  assert.deepEqual(responseWithoutSize(9, body), cat(i32(9), body));
  assert.deepEqual(frameResponse(9, body), cat(i32(7), i32(9), body));
  assert.deepEqual(frame(Buffer.alloc(0)), i32(0));
});
