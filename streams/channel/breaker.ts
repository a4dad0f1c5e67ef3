/**
 * One channel's circuit breaker, on opossum: closed → open when the failure rate over a rolling
 * window passes the threshold (once the window holds enough calls) → half-open after a
 * cool-down, where one probe call decides: closed on a healthy answer, open again otherwise.
 *
 * opossum is the Node ecosystem's maintained breaker (rolling bucketed window, volume threshold,
 * half-open probing, unref'd timers); we keep only what it cannot know: which answers count as
 * failures. A channel's answer is a value, not an exception (a decline is healthy, a 503 is not),
 * so an unhealthy answer travels through opossum as an `UnhealthyAnswer` and comes back out as the
 * answer it was.
 */
import CircuitBreaker from 'opossum';
import {
  BREAKER_BUCKETS,
  BREAKER_CALLS_MIN,
  BREAKER_COOLDOWN_MS,
  BREAKER_FAILURE_RATE_OPEN,
  BREAKER_WINDOW_MS,
} from './limits.ts';

export interface BreakerOptions {
  /** Width of the rolling window the failure rate is measured over. */
  windowMs: number;
  /** Buckets the window is split into (one expires at a time). */
  buckets: number;
  /** Calls the window must hold before its rate may open the breaker. */
  callsMin: number;
  /** Failure rate (0..1) above which the breaker opens. */
  failureRateOpen: number;
  /** Time an open breaker refuses calls before a probe goes through. */
  cooldownMs: number;
}

export const DEFAULT_BREAKER_OPTIONS: Readonly<BreakerOptions> = Object.freeze({
  windowMs: BREAKER_WINDOW_MS,
  buckets: BREAKER_BUCKETS,
  callsMin: BREAKER_CALLS_MIN,
  failureRateOpen: BREAKER_FAILURE_RATE_OPEN,
  cooldownMs: BREAKER_COOLDOWN_MS,
});

export type BreakerKind = 'closed' | 'open' | 'half_open';

/** An answer the caller judged unhealthy, carried through opossum so it counts as a failure. */
class UnhealthyAnswer<R> extends Error {
  constructor(readonly answer: R) {
    super('unhealthy channel answer');
    this.name = 'UnhealthyAnswer';
  }
}

export class ChannelBreaker {
  readonly #breaker: CircuitBreaker<[() => Promise<unknown>], unknown>;

  constructor(name: string, options: Readonly<BreakerOptions>, onChange: (kind: BreakerKind) => void) {
    this.#breaker = new CircuitBreaker(async (call: () => Promise<unknown>) => call(), {
      name,
      // Call deadlines belong to the adapters (create and query have their own).
      timeout: false,
      rollingCountTimeout: options.windowMs,
      rollingCountBuckets: options.buckets,
      volumeThreshold: options.callsMin,
      errorThresholdPercentage: options.failureRateOpen * 100,
      resetTimeout: options.cooldownMs,
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
    });
    this.#breaker.on('open', () => onChange('open'));
    this.#breaker.on('halfOpen', () => onChange('half_open'));
    this.#breaker.on('close', () => onChange('closed'));
  }

  get kind(): BreakerKind {
    if (this.#breaker.opened) return 'open';
    if (this.#breaker.halfOpen) return 'half_open';
    return 'closed';
  }

  /** Whether a call would be let through now: closed, or half-open with its probe not yet taken. */
  callable(): boolean {
    return this.#breaker.closed || this.#breaker.pendingClose;
  }

  /**
   * Runs `call` through the breaker, or answers `refused` without calling it. `healthy` judges the
   * answer; an unhealthy one counts as a failure and is still returned as it came.
   */
  async run<R>(call: () => Promise<R>, healthy: (answer: R) => boolean): Promise<R | 'refused'> {
    // Checked and fired in the same tick, so no other call can take the half-open probe between.
    if (!this.callable()) return 'refused';
    try {
      return (await this.#breaker.fire(async () => {
        const answer = await call();
        if (!healthy(answer)) throw new UnhealthyAnswer(answer);
        return answer;
      })) as R;
    } catch (err) {
      if (err instanceof UnhealthyAnswer) return err.answer as R;
      throw err;
    }
  }

  /** Stops the breaker's timers. */
  shutdown(): void {
    this.#breaker.shutdown();
  }
}
