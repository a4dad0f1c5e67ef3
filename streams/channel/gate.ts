/**
 * Everything that stands between the executor and one channel: the kill switch, the circuit
 * breaker (`breaker.ts`, opossum) and the in-flight limit (adaptive, `concurrency.ts`). A create
 * goes through all three; a status query skips the switch and the breaker (it resolves money that
 * may already have moved, so it must not be refused) but still takes a slot and teaches the limit.
 */
import type { ChannelId, PaymentResult, StatusResult } from '../../connectors/channels/types.ts';
import { ChannelBreaker, DEFAULT_BREAKER_OPTIONS, type BreakerKind, type BreakerOptions } from './breaker.ts';
import type { ChannelSwitches } from './switches.ts';
import { AdaptiveSemaphore } from './concurrency.ts';
import { CALLS_IN_FLIGHT_INITIAL } from './limits.ts';

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

/** A create the gate did not send: the channel was switched off or its breaker open by then. */
export interface GateRefusal {
  status: 'refused';
  reason: 'switched_off' | 'circuit_open';
}

export interface GateOptions {
  channelId: ChannelId;
  inFlightMax: number;
  /** Calls allowed before the channel answered anything (the adaptive limit's start). */
  inFlightInitial?: number;
  switches: ChannelSwitches;
  breaker?: Readonly<BreakerOptions>;
  onBreakerChange?: (channelId: ChannelId, kind: BreakerKind) => void;
}

export class ChannelGate {
  readonly channelId: ChannelId;
  readonly #switches: ChannelSwitches;
  readonly #slots: AdaptiveSemaphore;
  readonly #breaker: ChannelBreaker;

  constructor(options: GateOptions) {
    this.channelId = options.channelId;
    this.#switches = options.switches;
    this.#slots = new AdaptiveSemaphore({ initial: Math.min(options.inFlightInitial ?? CALLS_IN_FLIGHT_INITIAL, options.inFlightMax), max: options.inFlightMax });
    this.#breaker = new ChannelBreaker(options.channelId, options.breaker ?? DEFAULT_BREAKER_OPTIONS, (kind) => options.onBreakerChange?.(options.channelId, kind));
  }

  get breaker(): BreakerKind {
    return this.#breaker.kind;
  }

  get inFlight(): number {
    return this.#slots.inUse;
  }

  /** The adaptive in-flight limit as learnt so far. */
  get inFlightLimit(): number {
    return this.#slots.limit;
  }

  get enabled(): boolean {
    return this.#switches.enabled(this.channelId);
  }

  /** Whether a new create may be sent now (switch on, breaker not refusing). */
  usable(): boolean {
    return this.#switches.enabled(this.channelId) && this.#breaker.callable();
  }

  /**
   * A create through switch, slot and breaker, or a refusal when this call sent nothing. The
   * breaker is asked once the slot is taken: a create that queued behind calls which have since
   * opened the breaker is refused rather than sent into the outage.
   */
  async create(call: () => Promise<PaymentResult>): Promise<PaymentResult | GateRefusal> {
    if (!this.#switches.enabled(this.channelId)) return { status: 'refused', reason: 'switched_off' };
    await this.#slots.acquire();
    let healthy: boolean | undefined;
    try {
      const result = await this.#breaker.run(call, healthyAnswer);
      if (result === 'refused') return { status: 'refused', reason: 'circuit_open' };
      healthy = healthyAnswer(result);
      return result;
    } finally {
      this.#slots.release(healthy);
    }
  }

  /** A status query: never refused by switch or breaker. */
  async query(call: () => Promise<StatusResult>): Promise<StatusResult> {
    await this.#slots.acquire();
    let healthy: boolean | undefined;
    try {
      const result = await call();
      healthy = healthyAnswer(result);
      return result;
    } finally {
      this.#slots.release(healthy);
    }
  }

  /** Stops the breaker's timers. */
  close(): void {
    this.#breaker.shutdown();
  }
}
