/**
 * The one Redis adapter: the only application module that imports ioredis. Options are explicit.
 * Commands fail fast while the connection is down (no offline queue), so callers can answer 503
 * at once instead of piling requests up behind a dead socket; the client keeps reconnecting in
 * the background and recovers without a restart.
 */
import { Redis } from 'ioredis';
import type { Logger } from './logger.ts';
import type { Secret } from './secret.ts';

export type { Redis } from 'ioredis';

/** One command may take this long before it fails; Redis answers in well under a millisecond. */
export const REDIS_COMMAND_TIMEOUT_MS = 1_000;
export const REDIS_CONNECT_TIMEOUT_MS = 2_000;
/** Reconnect back-off: grows per attempt up to this cap, forever. */
export const REDIS_RECONNECT_DELAY_MS_MAX = 1_000;
const REDIS_RECONNECT_DELAY_MS_STEP = 100;

export interface RedisOptions {
  url: Secret;
  logger: Logger;
  connectionName: string;
}

export function createRedis(options: RedisOptions): Redis {
  const client = new Redis(options.url.reveal(), {
    connectionName: options.connectionName,
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
    enableReadyCheck: true,
    autoResubscribe: false,
    // Commands issued in the same event-loop tick (many concurrent API requests) go out in one
    // write and come back in one read: fewer syscalls per request, same per-command semantics.
    enableAutoPipelining: true,
    retryStrategy: (times: number) => Math.min(times * REDIS_RECONNECT_DELAY_MS_STEP, REDIS_RECONNECT_DELAY_MS_MAX),
  });
  let down = false;
  client.on('error', (err: Error) => {
    if (!down) options.logger.warn({ err }, 'Redis connection failed; reconnecting');
    down = true;
  });
  client.on('ready', () => {
    if (down) options.logger.info('Redis connection restored');
    down = false;
  });
  return client;
}

/**
 * A Lua script run by its SHA (EVALSHA), loading it on first use or after a Redis restart
 * (ioredis's defineCommand does the NOSCRIPT fallback), so a hot path does not ship the script
 * text with every call. Scripts are atomic on the server; `keys` is how many leading arguments are
 * keys, or 'dynamic' when each call passes that count as its first argument.
 */
export function redisScript(redis: Redis, name: string, lua: string, keys: number | 'dynamic'): (...args: Array<string | number>) => Promise<unknown> {
  redis.defineCommand(name, keys === 'dynamic' ? { lua } : { numberOfKeys: keys, lua });
  const command = (redis as unknown as Record<string, (...args: Array<string | number>) => Promise<unknown>>)[name];
  if (command === undefined) throw new Error(`ioredis did not define the script command ${name}`);
  return (...args) => command.apply(redis, args);
}
