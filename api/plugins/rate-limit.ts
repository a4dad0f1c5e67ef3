/**
 * Per-merchant token bucket in Redis, updated atomically by one Lua script (so concurrent API
 * instances share one bucket) on the server's clock. Answers carry the RateLimit headers of
 * draft-ietf-httpapi-ratelimit-headers; a refusal is 429 with Retry-After.
 */
import type { FastifyInstance } from 'fastify';
import { redisScript, type Redis } from '../../lib/redis.ts';
import { ApiError, guarded } from '../errors.ts';
import { merchantOf } from './auth.ts';

// KEYS[1] bucket; ARGV: capacity, refill per second. Returns {allowed, tokens left, ms until one token}.
const TOKEN_BUCKET = `
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then tokens = capacity; at = now end
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate / 1000)
local allowed = 0
if tokens >= 1 then tokens = tokens - 1; allowed = 1 end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate * 1000) + 1000)
local wait = 0
if tokens < 1 then wait = math.ceil((1 - tokens) * 1000 / rate) end
return {allowed, math.floor(tokens), wait}
`;

export interface RateLimitOptions {
  redis: Redis;
  burst: number;
  perSecond: number;
}

export async function registerRateLimit(app: FastifyInstance, options: RateLimitOptions): Promise<void> {
  const policy = `${options.burst};w=${Math.ceil(options.burst / options.perSecond)}`;
  const takeToken = redisScript(options.redis, 'paystreamTokenBucket', TOKEN_BUCKET, 1);
  app.addHook('preValidation', async (request, reply) => {
    const merchant = merchantOf(request);
    const result = await guarded('redis', takeToken(`ratelimit:${merchant.merchantId}`, options.burst, options.perSecond)) as [number, number, number];
    const [allowed, remaining, waitMs] = result;
    const resetS = Math.ceil(waitMs / 1000);
    void reply.header('ratelimit-policy', policy);
    void reply.header('ratelimit-limit', String(options.burst));
    void reply.header('ratelimit-remaining', String(remaining));
    void reply.header('ratelimit-reset', String(resetS));
    if (allowed !== 1) {
      throw new ApiError('rate_limited', `at most ${options.perSecond} requests per second (bursts of ${options.burst}) per merchant`, { headers: { 'retry-after': String(Math.max(1, resetS)) } });
    }
  });
}
