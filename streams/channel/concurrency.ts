/**
 * How many calls one channel may have in flight, learnt from its answers (additive increase,
 * multiplicative decrease). The breaker decides whether a channel is down, but only after it has
 * seen enough failures; with hundreds of payments handled at once, that many calls could already
 * be out. The limit keeps the burst small: it starts low, grows by one per healthy answer while
 * calls are queueing for it (doubling per round trip, so a healthy channel reaches the ceiling
 * within a few round trips), and halves on every unhealthy answer, so an outage meets a handful
 * of calls and the breaker opens before the rest are sent.
 */
import assert from 'node:assert/strict';

export interface AdaptiveLimitOptions {
  /** Calls allowed before any answer was seen. */
  initial: number;
  /** The ceiling, whatever the channel answers. */
  max: number;
}

export class AdaptiveSemaphore {
  readonly #max: number;
  #limit: number;
  #inUse = 0;
  readonly #waiters: (() => void)[] = [];

  constructor(options: AdaptiveLimitOptions) {
    assert.ok(options.initial >= 1 && options.initial <= options.max, 'the initial limit lies in [1, max]');
    this.#max = options.max;
    this.#limit = options.initial;
  }

  get limit(): number {
    return this.#limit;
  }

  get inUse(): number {
    return this.#inUse;
  }

  get waiting(): number {
    return this.#waiters.length;
  }

  /** Waits for a slot; waiters are served in arrival order. */
  async acquire(): Promise<void> {
    if (this.#inUse < this.#limit && this.#waiters.length === 0) {
      this.#inUse += 1;
      return;
    }
    await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  /**
   * Frees a slot. `healthy` is what the answer said about the channel, `undefined` when the call
   * ended without an answer worth learning from (cancelled).
   */
  release(healthy: boolean | undefined): void {
    const queued = this.#waiters.length > 0;
    this.#inUse -= 1;
    if (healthy === true && queued) this.#limit = Math.min(this.#max, this.#limit + 1);
    if (healthy === false) this.#limit = Math.max(1, Math.floor(this.#limit / 2));
    while (this.#inUse < this.#limit) {
      const next = this.#waiters.shift();
      if (next === undefined) break;
      this.#inUse += 1;
      next();
    }
  }
}
