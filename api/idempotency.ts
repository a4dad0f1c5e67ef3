/**
 * Idempotency-Key handling in Redis. One record per (merchant, key): first an in-flight lock with
 * the request's digest, replaced by the final response once the command is durable. Both steps
 * are single atomic Redis operations, so with many concurrent requests on one key exactly one
 * acquires it; the others see it in flight (409), or see another body (422), or get the stored
 * response replayed. A request that fails (503) releases its lock so the merchant can retry.
 */
import { createHash } from 'node:crypto';
import { randomHex } from '../lib/random.ts';
import { redisScript, type Redis } from '../lib/redis.ts';
import { ApiError, guarded } from './errors.ts';
import { IDEMPOTENCY_KEY_LENGTH_MAX, IDEMPOTENCY_LOCK_TTL_MS, IDEMPOTENCY_TTL_S } from './limits.ts';

export interface StoredResponse {
  status: number;
  body: unknown;
}

interface Record_ {
  state: 'in_flight' | 'done';
  digest: string;
  token?: string;
  response?: StoredResponse;
}

export type Begin = { kind: 'acquired'; token: string } | { kind: 'replay'; response: StoredResponse };

// KEYS[1] record; ARGV: new in-flight record, lock ttl ms. Returns the existing record or nil.
const BEGIN = `
local existing = redis.call('GET', KEYS[1])
if existing then return existing end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false
`;
// Replaces or deletes the record only while it is still this request's lock (the token matches).
const COMPLETE = `
local existing = redis.call('GET', KEYS[1])
if not existing or not string.find(existing, ARGV[1], 1, true) then return 0 end
if ARGV[2] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3]) end
return 1
`;

const PRINTABLE = /^[\x20-\x7e]+$/;

/** The Idempotency-Key header, validated (1-255 printable ASCII characters). */
export function idempotencyKeyOf(value: string | string[] | undefined): string {
  if (value === undefined) throw new ApiError('idempotency_key_missing', 'send an Idempotency-Key header (1-255 printable characters) with this request');
  if (typeof value !== 'string' || value.length === 0 || value.length > IDEMPOTENCY_KEY_LENGTH_MAX || !PRINTABLE.test(value)) {
    throw new ApiError('idempotency_key_invalid', `the Idempotency-Key must be 1-${IDEMPOTENCY_KEY_LENGTH_MAX} printable ASCII characters`);
  }
  return value;
}

export function keyDigest(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export class IdempotencyStore {
  private readonly beginScript: (...args: Array<string | number>) => Promise<unknown>;
  private readonly completeScript: (...args: Array<string | number>) => Promise<unknown>;

  constructor(redis: Redis) {
    this.beginScript = redisScript(redis, 'paystreamIdempotencyBegin', BEGIN, 1);
    this.completeScript = redisScript(redis, 'paystreamIdempotencyComplete', COMPLETE, 1);
  }

  private recordKey(merchantId: string, scope: string, key: string): string {
    return `idem:${merchantId}:${scope}:${keyDigest(key)}`;
  }

  /** Claims the key for a request whose method, path and body digest is `digest`. */
  async begin(merchantId: string, scope: string, key: string, digest: string): Promise<Begin> {
    const token = randomHex(12);
    const record: Record_ = { state: 'in_flight', digest, token };
    const existing = (await guarded('redis', this.beginScript(this.recordKey(merchantId, scope, key), JSON.stringify(record), IDEMPOTENCY_LOCK_TTL_MS))) as string | null;
    if (existing === null) return { kind: 'acquired', token };
    const found = JSON.parse(existing) as Record_;
    if (found.digest !== digest) throw new ApiError('idempotency_key_reuse', 'this Idempotency-Key was already used with a different request');
    if (found.state === 'in_flight' || found.response === undefined) throw new ApiError('idempotency_key_in_use', 'a request with this Idempotency-Key is still being processed; retry shortly', { headers: { 'retry-after': '1' } });
    return { kind: 'replay', response: found.response };
  }

  /** Stores the final response for IDEMPOTENCY_TTL_S. */
  async complete(merchantId: string, scope: string, key: string, digest: string, token: string, response: StoredResponse): Promise<void> {
    const record: Record_ = { state: 'done', digest, response };
    await guarded('redis', this.completeScript(this.recordKey(merchantId, scope, key), `"token":"${token}"`, JSON.stringify(record), IDEMPOTENCY_TTL_S));
  }

  /** Drops the lock after a failure, so a retry with the same key is processed afresh. */
  async release(merchantId: string, scope: string, key: string, token: string): Promise<void> {
    await guarded('redis', this.completeScript(this.recordKey(merchantId, scope, key), `"token":"${token}"`, '', 0));
  }
}
