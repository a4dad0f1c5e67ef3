/**
 * Everything that stands between the executor and one channel: the kill switch, the circuit
 * breaker and the in-flight limit. A create goes through all three; a status query skips the
 * switch and the breaker (it resolves money that may already have moved, so it must not be
 * refused) but still counts against the in-flight limit and still teaches the breaker.
 */
import type { ChannelId, PaymentResult, StatusResult } from '../../connectors/channels/types.ts';
import { ChannelError } from '../../connectors/channels/types.ts';
import { CLOSED, isCallable, recordOutcome, releaseWithoutOutcome, tryAcquire, type BreakerOptions, type BreakerState, DEFAULT_BREAKER_OPTIONS } from './breaker.ts';
import type { ChannelSwitches } from './switches.ts';

/** Bounds calls in flight; waiters are served in arrival order. */
export class Semaphore {
  #free: number;
  readonly #waiters: (() => void)[] = [];

  constructor(permits: number) {
    this.#free = permits;
  }

  async acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free -= 1;
      return;
    }
    await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  release(): void {
    const next = this.#waiters.shift();
    if (next !== undefined) next();
    else this.#free += 1;
  }

  get waiting(): number {
    return this.#waiters.length;
  }

  /** Permits taken (calls in flight). */
  inUse(permits: number): number {
    return permits - this.#free;
  }
}

/** Whether an answer says the channel is healthy: declines and not-found are healthy answers. */
export function healthyAnswer(result: PaymentResult | StatusResult): boolean {
  switch (result.status) {
    case 'approved':
    case 'declined':
    case 'pending':
    case 'refunded':
    case 'not_found':
      return true;
    case 'error':
    case 'ambiguous':
      // Our own bad request says nothing about the channel's health.
      return result.error.code === 'invalid_request' || result.error.code === 'unsupported';
    default: {
      const unreachable: never = result;
      throw new Error(`unknown result ${JSON.stringify(unreachable)}`);
    }
  }
}

export interface GateOptions {
  channelId: ChannelId;
  inFlightMax: number;
  switches: ChannelSwitches;
  clock: { nowMs(): number };
  breaker?: Readonly<BreakerOptions>;
  onBreakerChange?: (channelId: ChannelId, state: BreakerState) => void;
}

export class ChannelGate {
  readonly channelId: ChannelId;
  readonly #options: GateOptions;
  readonly #slots: Semaphore;
  #breaker: BreakerState = CLOSED;

  constructor(options: GateOptions) {
    this.channelId = options.channelId;
    this.#options = options;
    this.#slots = new Semaphore(options.inFlightMax);
  }

  get breaker(): BreakerState {
    return this.#breaker;
  }

  get inFlight(): number {
    return this.#slots.inUse(this.#options.inFlightMax);
  }

  get enabled(): boolean {
    return this.#options.switches.enabled(this.channelId);
  }

  /** Whether a new create may be sent now (switch on, breaker not refusing). */
  usable(): boolean {
    return this.#options.switches.enabled(this.channelId) && isCallable(this.#breaker, this.#options.clock.nowMs(), this.#breakerOptions());
  }

  /** A create through switch, breaker and slot; refused ones come back as surely-not-charged errors. */
  async create(call: () => Promise<PaymentResult>): Promise<PaymentResult> {
    if (!this.#options.switches.enabled(this.channelId)) return this.#refused('switched off');
    const acquired = tryAcquire(this.#breaker, this.#options.clock.nowMs(), this.#breakerOptions());
    this.#setBreaker(acquired.state);
    if (!acquired.allowed) return this.#refused('circuit open');
    return this.#run(call);
  }

  /** A status query: never refused by switch or breaker. */
  async query(call: () => Promise<StatusResult>): Promise<StatusResult> {
    return this.#run(call, false);
  }

  async #run<R extends PaymentResult | StatusResult>(call: () => Promise<R>, admitted = true): Promise<R> {
    await this.#slots.acquire();
    let result: R | undefined;
    try {
      result = await call();
      return result;
    } finally {
      this.#slots.release();
      if (result === undefined) {
        if (admitted) this.#setBreaker(releaseWithoutOutcome(this.#breaker));
      } else if (admitted || this.#breaker.kind === 'closed') {
        this.#setBreaker(recordOutcome(this.#breaker, this.#options.clock.nowMs(), healthyAnswer(result), this.#breakerOptions()));
      }
    }
  }

  #refused(why: string): PaymentResult {
    return { status: 'error', charged: false, error: new ChannelError(this.channelId, 'channel_unavailable', `not sent: ${why}`, { charge: 'not_charged', retriable: false }) };
  }

  #breakerOptions(): Readonly<BreakerOptions> {
    return this.#options.breaker ?? DEFAULT_BREAKER_OPTIONS;
  }

  #setBreaker(next: BreakerState): void {
    const changed = next.kind !== this.#breaker.kind;
    this.#breaker = next;
    if (changed) this.#options.onBreakerChange?.(this.channelId, next);
  }
}
