/**
 * ApiVersions (key 18), versions 0–2, plus the answers spec §1 needs for librdkafka's v3 probe.
 * https://kafka.apache.org/protocol#The_Messages_ApiVersions
 *
 * v0: error_code, api_keys[api_key, min_version, max_version]; v1 and v2 add throttle_time_ms
 * last. kafkajs tries v2, then v1, then v0; librdkafka sends v3 (flexible) first. Kafka answers an
 * unsupported ApiVersions version with a v0 body carrying UNSUPPORTED_VERSION and its own range
 * (KIP-511), on which librdkafka retries with v0 on the same socket.
 */
import assert from 'node:assert/strict';
import { ErrorCode } from '../../contracts.ts';
import { ProtocolError, type Reader, type Writer } from '../primitives.ts';

export const API_KEY = 18;
/** Highest version implemented and advertised; v0 and v1 are answered too. */
export const VERSION = 2;
/** The flexible version librdkafka probes with; see encodeApiVersionsResponseV3. */
export const FLEXIBLE_VERSION = 3;

export type ApiVersionsVersion = 0 | 1 | 2;

/** v0–v2 requests have an empty body. */
export type ApiVersionsRequest = Record<string, never>;

export interface ApiVersionsResponseKey {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

export interface ApiVersionsResponse {
  errorCode: number;
  apiKeys: ApiVersionsResponseKey[];
  /** Written at v1+ only. */
  throttleTimeMs: number;
}

export function isApiVersionsVersion(v: number): v is ApiVersionsVersion {
  return v === 0 || v === 1 || v === 2;
}

/** A test client reading a version it never asked for has been sent garbage. */
function checkVersion(version: number): ApiVersionsVersion {
  if (!isApiVersionsVersion(version)) throw new ProtocolError('unsupported_version', 0, `ApiVersions v${version} has no plain codec`);
  return version;
}

export function decodeApiVersionsRequest(_r: Reader): ApiVersionsRequest {
  return {};
}

export function encodeApiVersionsRequest(_w: Writer, _req: ApiVersionsRequest): void {
  // Empty body at v0–v2.
}

/** Callers answer only versions isApiVersionsVersion accepts; anything else is a bug. */
export function encodeApiVersionsResponse(w: Writer, res: ApiVersionsResponse, version: number = VERSION): void {
  assert.ok(isApiVersionsVersion(version), `ApiVersions v${version} has no plain codec`);
  const v = version;
  w.int16(res.errorCode);
  w.array(res.apiKeys, (w2, k) => {
    w2.int16(k.apiKey).int16(k.minVersion).int16(k.maxVersion);
  });
  if (v >= 1) w.int32(res.throttleTimeMs);
}

export function decodeApiVersionsResponse(r: Reader, version: number = VERSION): ApiVersionsResponse {
  const v = checkVersion(version);
  const errorCode = r.int16();
  const apiKeys = r.array((r2) => ({ apiKey: r2.int16(), minVersion: r2.int16(), maxVersion: r2.int16() }));
  const throttleTimeMs = v >= 1 ? r.int32() : 0;
  return { errorCode, apiKeys, throttleTimeMs };
}

/**
 * The answer to an ApiVersions request of a version this broker does not implement (spec §1):
 * encode it with `encodeApiVersionsResponse(w, res, 0)` under a v0 response header. Never close
 * the socket instead: librdkafka would then fall back to 0.10 features (no idempotence).
 */
export function unsupportedApiVersionsResponse(): ApiVersionsResponse {
  return {
    errorCode: ErrorCode.UNSUPPORTED_VERSION,
    apiKeys: [{ apiKey: API_KEY, minVersion: 0, maxVersion: VERSION }],
    throttleTimeMs: 0,
  };
}

/**
 * Optional real v3 body (spec §1): error_code, compact array (uvarint count+1) of
 * {api_key, min, max, empty tagged fields}, throttle_time_ms, empty tagged fields. The response
 * header stays v0 for ApiVersions even at v3 (KIP-511), and the v3 request body can be ignored.
 */
export function encodeApiVersionsResponseV3(w: Writer, res: ApiVersionsResponse): void {
  w.int16(res.errorCode);
  w.uvarint(res.apiKeys.length + 1);
  for (const k of res.apiKeys) w.int16(k.apiKey).int16(k.minVersion).int16(k.maxVersion).uvarint(0);
  w.int32(res.throttleTimeMs);
  w.uvarint(0);
}

/** Test-client counterpart of encodeApiVersionsResponseV3; skips any tagged fields it meets. */
export function decodeApiVersionsResponseV3(r: Reader): ApiVersionsResponse {
  const errorCode = r.int16();
  const countPlusOne = r.uvarint();
  const apiKeys: ApiVersionsResponseKey[] = [];
  // Each entry takes at least 7 bytes; refuse counts the input cannot hold before looping.
  if (countPlusOne === 0 || (countPlusOne - 1) * 7 > r.remaining()) {
    throw new ProtocolError('invalid_length', r.offset, `compact array count ${countPlusOne - 1}`);
  }
  for (let i = 0; i < countPlusOne - 1; i++) {
    apiKeys.push({ apiKey: r.int16(), minVersion: r.int16(), maxVersion: r.int16() });
    skipTaggedFields(r);
  }
  const throttleTimeMs = r.int32();
  skipTaggedFields(r);
  return { errorCode, apiKeys, throttleTimeMs };
}

function skipTaggedFields(r: Reader): void {
  const n = r.uvarint();
  for (let i = 0; i < n; i++) {
    r.uvarint();
    const size = r.uvarint();
    if (size > r.remaining()) throw new ProtocolError('invalid_length', r.offset, `tagged field of ${size} bytes`);
    for (let j = 0; j < size; j++) r.int8();
  }
}
