/**
 * Admission of an authenticated merchant request, in one Redis round trip: its nonce is claimed
 * (SET NX for NONCE_TTL_S: a replay is 401), a token is taken from the merchant's bucket (429 with
 * Retry-After when empty) and, on routes that take an Idempotency-Key, the key's record is read or
 * locked for this request (a stored response is replayed, another body is 422, one still in
 * flight is 409). All three run in one Lua script, atomic on the server and on the server's clock,
 * so API instances share nonces, buckets and keys. Requests admitted in the same turn of the event
 * loop go in one script call (TickBatcher), each handled exactly as if alone, in arrival order.
 * (One Redis instance, as deployed: under Redis Cluster the keys of one call would need one slot.)
 *
 * Runs after the signature check (plugins/auth.ts): a caller without the secret cannot burn a
 * merchant's nonces or tokens. A lock taken here is released when the request answers with anything
 * but its completed response (a 400 from the schema, a 422, a 503), before the answer leaves.
 * Answers carry the RateLimit headers of draft-ietf-httpapi-ratelimit-headers.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Counter } from 'prom-client';
import { redisScript, type Redis } from '../../lib/redis.ts';
import { TickBatcher } from '../../lib/tick-batcher.ts';
import { ApiError, guarded } from '../errors.ts';
import { idempotencyKeyOf, newLock, type IdempotencyLock, type IdempotencyStore, type StoredResponse, storedResponse } from '../idempotency.ts';
import { IDEMPOTENCY_LOCK_TTL_MS, NONCE_TTL_S } from '../limits.ts';
import { merchantOf } from './auth.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The Idempotency-Key lock this request holds (routes with `config.idempotent`). */
    idempotencyLock: IdempotencyLock | undefined;
  }
  interface FastifyContextConfig {
    /** The route takes an Idempotency-Key: admission locks it or replays its stored response. */
    idempotent?: boolean;
  }
}

// KEYS: per request its nonce, its merchant's bucket and its idempotency record (the nonce key
// again when the route takes none). ARGV: capacity, refill per second, nonce ttl s, lock ttl ms,
// then per request its lock record ('' for none). Returns per request
// {verdict (0 admitted, 1 nonce reused, 2 rate limited), tokens left, ms until a token, existing record or ''}.
const ADMIT = `
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {}
for i = 1, #KEYS / 3 do
  local nonce, bucket, record, lock = KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i], ARGV[4 + i]
  if not redis.call('SET', nonce, '1', 'EX', ARGV[3], 'NX') then
    out[i] = {1, 0, 0, ''}
  else
    local state = redis.call('HMGET', bucket, 'tokens', 'at')
    local tokens = tonumber(state[1])
    local at = tonumber(state[2])
    if tokens == nil or at == nil then tokens = capacity; at = now end
    tokens = math.min(capacity, tokens + math.max(0, now - at) * rate / 1000)
    local allowed = tokens >= 1
    if allowed then tokens = tokens - 1 end
    redis.call('HSET', bucket, 'tokens', tostring(tokens), 'at', now)
    redis.call('PEXPIRE', bucket, math.ceil(capacity / rate * 1000) + 1000)
    local wait = 0
    if tokens < 1 then wait = math.ceil((1 - tokens) * 1000 / rate) end
    if not allowed then
      out[i] = {2, math.floor(tokens), wait, ''}
    elseif lock == '' then
      out[i] = {0, math.floor(tokens), wait, ''}
    else
      local existing = redis.call('GET', record)
      if existing then
        out[i] = {0, math.floor(tokens), wait, existing}
      else
        redis.call('SET', record, lock, 'PX', ARGV[4])
        out[i] = {0, math.floor(tokens), wait, ''}
      end
    end
  end
end
return out
`;
/** Requests admitted by one script call at most; a busier turn makes several calls. */
const ADMIT_BATCH_MAX = 128;

interface Admission {
  nonceKey: string;
  bucketKey: string;
  lock: IdempotencyLock | undefined;
}

type Verdict = [verdict: 0 | 1 | 2, remaining: number, waitMs: number, existing: string];

export interface AdmissionOptions {
  redis: Redis;
  idempotency: IdempotencyStore;
  burst: number;
  perSecond: number;
  failures: Counter<'reason'>;
}

function replay(reply: FastifyReply, response: StoredResponse): FastifyReply {
  return reply.code(response.status).header('idempotent-replayed', 'true').send(response.body);
}

export async function registerAdmission(app: FastifyInstance, options: AdmissionOptions): Promise<void> {
  const policy = `${options.burst};w=${Math.ceil(options.burst / options.perSecond)}`;
  const limit = String(options.burst);
  const admitScript = redisScript(options.redis, 'paystreamAdmit', ADMIT, 'dynamic');
  const admitter = new TickBatcher<Admission, Verdict>(async (batch) => {
    const args: Array<string | number> = [batch.length * 3];
    for (const a of batch) args.push(a.nonceKey, a.bucketKey, a.lock?.recordKey ?? a.nonceKey);
    args.push(options.burst, options.perSecond, NONCE_TTL_S, IDEMPOTENCY_LOCK_TTL_MS);
    for (const a of batch) args.push(a.lock?.value ?? '');
    return (await admitScript(...args)) as Verdict[];
  }, ADMIT_BATCH_MAX);

  app.decorateRequest('idempotencyLock', undefined);
  app.addHook('preValidation', async (request: FastifyRequest, reply: FastifyReply) => {
    const merchant = merchantOf(request);
    let lock: IdempotencyLock | undefined;
    let keyError: ApiError | undefined;
    if (request.routeOptions.config.idempotent === true) {
      try {
        const key = idempotencyKeyOf(request.headers['idempotency-key']);
        lock = newLock(merchant.merchantId, `${request.method} ${request.routeOptions.url ?? ''}`, key, `${request.method} ${request.url}\n${request.bodyDigest}`);
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        keyError = err;
      }
    }
    const [verdict, remaining, waitMs, existing] = await guarded(
      'redis',
      admitter.submit({ nonceKey: `nonce:${merchant.merchantId}:${request.nonce}`, bucketKey: `ratelimit:${merchant.merchantId}`, lock }),
    );
    if (verdict === 1) {
      options.failures.inc({ reason: 'nonce_reused' });
      throw new ApiError('nonce_reused', 'this nonce was already used; every request needs a new one');
    }
    const resetS = Math.ceil(waitMs / 1000);
    void reply.header('ratelimit-policy', policy);
    void reply.header('ratelimit-limit', limit);
    void reply.header('ratelimit-remaining', String(remaining));
    void reply.header('ratelimit-reset', String(resetS));
    if (verdict === 2) {
      throw new ApiError('rate_limited', `at most ${options.perSecond} requests per second (bursts of ${options.burst}) per merchant`, { headers: { 'retry-after': String(Math.max(1, resetS)) } });
    }
    if (keyError !== undefined) throw keyError;
    if (lock === undefined) return;
    if (existing !== '') return replay(reply, storedResponse(existing, lock.digest));
    request.idempotencyLock = lock;
  });

  // A lock still held when the answer is about to leave belongs to a request that failed: drop it
  // first, so the merchant's retry with the same key is processed afresh.
  app.addHook('onSend', async (request, _reply, payload) => {
    const lock = request.idempotencyLock;
    if (lock !== undefined && !lock.settled) {
      await options.idempotency.release(lock).catch((err: unknown) => request.log.warn({ err }, 'could not release an idempotency lock; it expires on its own'));
    }
    return payload;
  });
}
