import { test } from 'node:test';
import assert from 'node:assert/strict';
import { frameResponse } from '../header.ts';
import { Reader, Writer } from '../primitives.ts';
import { assertEveryTruncationRejected, assertProtocolError, cat, i16, i32 } from '../test-bytes.ts';
import {
  type ApiVersionsResponse,
  decodeApiVersionsRequest,
  decodeApiVersionsResponse,
  decodeApiVersionsResponseV3,
  encodeApiVersionsResponse,
  encodeApiVersionsResponseV3,
  unsupportedApiVersionsResponse,
} from './api-versions.ts';

const res: ApiVersionsResponse = {
  errorCode: 0,
  apiKeys: [
    { apiKey: 0, minVersion: 0, maxVersion: 3 },
    { apiKey: 18, minVersion: 0, maxVersion: 2 },
  ],
  throttleTimeMs: 0,
};

const keysBytes = cat(
  i32(2), // api_keys count
  i16(0), i16(0), i16(3), // Produce 0..3
  i16(18), i16(0), i16(2), // ApiVersions 0..2
);

const encode = (r: ApiVersionsResponse, version?: number): Buffer => {
  const w = new Writer();
  encodeApiVersionsResponse(w, r, version);
  return w.finish();
};

test('api versions request v0 to v2 has an empty body', () => {
  assert.deepEqual(decodeApiVersionsRequest(new Reader(Buffer.alloc(0))), {});
});

test('api versions v0 response is error code then keys, with no throttle', () => {
  assert.deepEqual(encode(res, 0), cat(i16(0), keysBytes));
});

test('api versions v1 and v2 responses put the throttle time last', () => {
  const expected = cat(i16(0), keysBytes, i32(0) /* throttle_time_ms */);
  assert.deepEqual(encode(res, 1), expected);
  assert.deepEqual(encode(res, 2), expected);
  assert.deepEqual(encode(res), expected, 'the default version is the advertised max, 2');
});

test('api versions answers an unsupported version with the exact v0 fallback frame of spec §1', () => {
  // librdkafka's v3 probe with correlation id 1: Kafka answers header v0 + a v0 body.
  const expected = Buffer.from([
    0x00, 0x00, 0x00, 0x10, // frame size 16
    0x00, 0x00, 0x00, 0x01, // correlation_id
    0x00, 0x23, // error_code 35 UNSUPPORTED_VERSION
    0x00, 0x00, 0x00, 0x01, // api_keys count 1
    0x00, 0x12, 0x00, 0x00, 0x00, 0x02, // ApiVersions: key 18, min 0, max 2
  ]);
  assert.deepEqual(frameResponse(1, encode(unsupportedApiVersionsResponse(), 0)), expected);
});

test('api versions v3 response uses a compact array and tagged fields', () => {
  const w = new Writer();
  encodeApiVersionsResponseV3(w, { ...res, throttleTimeMs: 5 });
  const expected = Buffer.from([
    0x00, 0x00, // error_code
    0x03, // uvarint count + 1 = 3
    0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, // Produce 0..3, no tagged fields
    0x00, 0x12, 0x00, 0x00, 0x00, 0x02, 0x00, // ApiVersions 0..2, no tagged fields
    0x00, 0x00, 0x00, 0x05, // throttle_time_ms
    0x00, // no tagged fields
  ]);
  assert.deepEqual(w.finish(), expected);
  assert.deepEqual(decodeApiVersionsResponseV3(new Reader(expected)), { ...res, throttleTimeMs: 5 });
});

test('api versions responses round-trip at every plain version', () => {
  for (const v of [0, 1, 2]) {
    const r = { ...res, throttleTimeMs: v === 0 ? 0 : 7 };
    const reader = new Reader(encode(r, v));
    assert.deepEqual(decodeApiVersionsResponse(reader, v), r);
    reader.expectEnd();
  }
});

test('api versions codec rejects truncated input and versions it has no codec for', () => {
  assertEveryTruncationRejected(encode(res, 2), (r) => decodeApiVersionsResponse(r, 2));
  assert.throws(() => encode(res, 3), assert.AssertionError, 'encoding an unimplemented version is a bug');
  assertProtocolError(() => decodeApiVersionsResponse(new Reader(encode(res, 2)), 3), 'unsupported_version');
  assertProtocolError(() => decodeApiVersionsResponseV3(new Reader(Buffer.from([0, 0, 0x7f]))), 'invalid_length');
  assertProtocolError(() => decodeApiVersionsResponse(new Reader(cat(i16(0), i32(1_000_000))), 2), 'invalid_length');
});
