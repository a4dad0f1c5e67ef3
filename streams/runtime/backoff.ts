/**
 * Capped exponential backoff with "equal jitter": half the delay is fixed, half random, so
 * retries of many records spread out yet each waits at least half the nominal delay.
 */
import { RETRY_DELAY_FACTOR, RETRY_DELAY_MS_INITIAL, RETRY_DELAY_MS_MAX } from './limits.ts';

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  factor: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = Object.freeze({ initialMs: RETRY_DELAY_MS_INITIAL, maxMs: RETRY_DELAY_MS_MAX, factor: RETRY_DELAY_FACTOR });

/**
 * Delay before retry number `retry` (1 = the first retry, after the first failed attempt).
 * `random` returns a number in [0, 1); injected so tests are deterministic.
 */
export function backoffDelayMs(retry: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  if (!Number.isInteger(retry) || retry < 1) throw new RangeError(`retry must be an integer >= 1; got ${retry}`);
  const nominal = Math.min(policy.maxMs, policy.initialMs * policy.factor ** (retry - 1));
  const half = nominal / 2;
  const r = random();
  const jitter = r >= 0 && r < 1 ? r : 0;
  return Math.round(half + jitter * half);
}
