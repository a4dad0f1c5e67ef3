/**
 * Idempotency-Key handling in Redis. One record per (merchant, key): first an in-flight lock with
 * the request's digest, replaced by the final response once the command is durable. Both steps
 * are atomic in Redis (the lock is taken by the admission script, plugins/admission.ts, with the
 * nonce and the rate limit), so with many concurrent requests on one key exactly one acquires it;
 * the others see it in flight (409), or see another body (422), or get the stored response
 * replayed. A request that fails (400, 422, 503) releases its lock so the merchant can retry.
 */
import { createHash } from 'node:crypto';
import { randomHex } from '../lib/random.ts';
import { redisScript, type Redis } from '../lib/redis.ts';
import { TickBatcher } from '../lib/tick-batcher.ts';
import { ApiError, guarded } from './errors.ts';
import { IDEMPOTENCY_KEY_LENGTH_MAX, IDEMPOTENCY_TTL_S } from './limits.ts';

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

/** The in-flight lock a request holds on its key until it completes (stores its response) or releases it. */
export interface IdempotencyLock {
  /** The Idempotency-Key header, validated. */
  key: string;
  recordKey: string;
  digest: string;
  token: string;
  /** The record the lock writes: state in_flight, the digest and the token. */
  value: string;
  /** Completed or released: nothing more to do. */
  settled: boolean;
}

// Replaces or deletes records only while each is still its request's lock (the token matches).
// KEYS: records; ARGV: per record the token needle, the new record ('' deletes it) and its ttl s.
const SETTLE = `
for i = 1, #KEYS do
  local existing = redis.call('GET', KEYS[i])
  if existing and string.find(existing, ARGV[3 * i - 2], 1, true) then
    local value = ARGV[3 * i - 1]
    if value == '' then redis.call('DEL', KEYS[i]) else redis.call('SET', KEYS[i], value, 'EX', ARGV[3 * i]) end
  end
end
return #KEYS
`;
/** Records settled by one SETTLE call at most; a turn with more is cut into several calls. */
const SETTLE_BATCH_MAX = 256;

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

export function recordKeyOf(merchantId: string, scope: string, key: string): string {
  return `idem:${merchantId}:${scope}:${keyDigest(key)}`;
}

/** A new lock for a request whose method, path and body digest is `digest`. */
export function newLock(merchantId: string, scope: string, key: string, digest: string): IdempotencyLock {
  const token = randomHex(12);
  const record: Record_ = { state: 'in_flight', digest, token };
  return { key, recordKey: recordKeyOf(merchantId, scope, key), digest, token, value: JSON.stringify(record), settled: false };
}

/**
 * What a request whose lock was not taken gets, from the record already there: its stored
 * response to replay (same request), 422 (another request under this key) or 409 (still in flight).
 */
export function storedResponse(existing: string, digest: string): StoredResponse {
  const found = JSON.parse(existing) as Record_;
  if (found.digest !== digest) throw new ApiError('idempotency_key_reuse', 'this Idempotency-Key was already used with a different request');
  if (found.state === 'in_flight' || found.response === undefined) throw new ApiError('idempotency_key_in_use', 'a request with this Idempotency-Key is still being processed; retry shortly', { headers: { 'retry-after': '1' } });
  return found.response;
}

interface Settle {
  lock: IdempotencyLock;
  /** The done record, or '' to drop the lock. */
  value: string;
}

/**
 * Completes and releases locks taken at admission (plugins/admission.ts). The settlements of
 * requests that finish in the same turn of the event loop (a group commit answers many at once)
 * go to Redis in one script call.
 */
export class IdempotencyStore {
  private readonly settleScript: (...args: Array<string | number>) => Promise<unknown>;
  private readonly settler: TickBatcher<Settle, void>;

  constructor(redis: Redis) {
    this.settleScript = redisScript(redis, 'paystreamIdempotencySettle', SETTLE, 'dynamic');
    this.settler = new TickBatcher((items) => this.settleAll(items), SETTLE_BATCH_MAX);
  }

  private async settleAll(items: Settle[]): Promise<void[]> {
    const args: Array<string | number> = [items.length];
    for (const item of items) args.push(item.lock.recordKey);
    for (const item of items) args.push(`"token":"${item.lock.token}"`, item.value, IDEMPOTENCY_TTL_S);
    await this.settleScript(...args);
    return items.map(() => undefined);
  }

  /** Stores the final response for IDEMPOTENCY_TTL_S in place of the lock. */
  async complete(lock: IdempotencyLock, response: StoredResponse): Promise<void> {
    if (lock.settled) return;
    lock.settled = true;
    const record: Record_ = { state: 'done', digest: lock.digest, response };
    await guarded('redis', this.settler.submit({ lock, value: JSON.stringify(record) }));
  }

  /** Drops the lock after a failure, so a retry with the same key is processed afresh. */
  async release(lock: IdempotencyLock): Promise<void> {
    if (lock.settled) return;
    lock.settled = true;
    await guarded('redis', this.settler.submit({ lock, value: '' }));
  }
}
