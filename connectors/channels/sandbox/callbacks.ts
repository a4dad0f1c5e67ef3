/**
 * Wallet callbacks as real wallets send them: after a delay, POSTed to the merchant's notify
 * URL and retried with doubling backoff until the answer is the acknowledgement the wallet
 * expects; sometimes sent twice, sometimes never (only a status query then tells the outcome).
 */
import { sampleLatencyMs } from './behaviour.ts';
import type { SandboxContext } from './core.ts';
import { CALLBACK_QUEUE_MAX, CALLBACK_RECORDS_MAX, CALLBACK_RETRY_DELAY_MS_MAX, CALLBACK_TIMEOUT_MS } from './limits.ts';

export interface OutgoingCallback {
  /** The wallet's notification id (the same on every retry and duplicate). */
  id: string;
  url: string;
  contentType: string;
  headers: Record<string, string>;
  body: string;
}

export type CallbackFate = 'scheduled' | 'lost' | 'acknowledged' | 'gave_up' | 'dropped';

export interface CallbackRecord {
  id: string;
  url: string;
  fate: CallbackFate;
  attempts: number;
  duplicated: boolean;
}

export interface CallbackStats {
  scheduled: number;
  lost: number;
  acknowledged: number;
  gaveUp: number;
  dropped: number;
  duplicates: number;
  attempts: number;
}

export class CallbackSender {
  readonly #ctx: SandboxContext;
  readonly #isAck: (statusCode: number, body: string) => boolean;
  readonly #records = new Map<string, CallbackRecord>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly stats: CallbackStats = { scheduled: 0, lost: 0, acknowledged: 0, gaveUp: 0, dropped: 0, duplicates: 0, attempts: 0 };
  #inFlight = 0;

  constructor(ctx: SandboxContext, isAck: (statusCode: number, body: string) => boolean) {
    this.#ctx = ctx;
    this.#isAck = isAck;
  }

  records(): CallbackRecord[] {
    return [...this.#records.values()];
  }

  /** Pending deliveries (waiting or in flight), for tests that wait for quiet. */
  get pending(): number {
    return this.#timers.size + this.#inFlight;
  }

  send(callback: OutgoingCallback): void {
    const b = this.#ctx.behaviour.callbacks;
    if (this.#timers.size + this.#inFlight >= CALLBACK_QUEUE_MAX) {
      this.stats.dropped += 1;
      this.#remember({ id: callback.id, url: callback.url, fate: 'dropped', attempts: 0, duplicated: false });
      return;
    }
    if (this.#ctx.chance(b.lossRate)) {
      this.stats.lost += 1;
      this.#remember({ id: callback.id, url: callback.url, fate: 'lost', attempts: 0, duplicated: false });
      return;
    }
    const record: CallbackRecord = { id: callback.id, url: callback.url, fate: 'scheduled', attempts: 0, duplicated: this.#ctx.chance(b.duplicateRate) };
    this.#remember(record);
    this.stats.scheduled += 1;
    this.#later(sampleLatencyMs(b.delay, this.#ctx.random), () => this.#attempt(callback, record));
  }

  #remember(record: CallbackRecord): void {
    if (this.#records.size >= CALLBACK_RECORDS_MAX) {
      const oldest = this.#records.keys().next();
      if (oldest.done !== true) this.#records.delete(oldest.value);
    }
    this.#records.set(record.id, record);
  }

  close(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  #later(ms: number, run: () => Promise<void>): void {
    if (this.#ctx.closing.aborted) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      void run();
    }, ms);
    this.#timers.add(timer);
  }

  async #attempt(callback: OutgoingCallback, record: CallbackRecord): Promise<void> {
    record.attempts += 1;
    this.stats.attempts += 1;
    const acknowledged = await this.#post(callback);
    if (acknowledged) {
      record.fate = 'acknowledged';
      this.stats.acknowledged += 1;
      if (record.duplicated) {
        // Real wallets do this after races on their side; the merchant must dedupe by id.
        this.stats.duplicates += 1;
        this.#later(0, async () => void (await this.#post(callback)));
      }
      return;
    }
    const b = this.#ctx.behaviour.callbacks;
    if (record.attempts >= b.maxAttempts) {
      record.fate = 'gave_up';
      this.stats.gaveUp += 1;
      this.#ctx.log?.warn({ callbackId: callback.id, attempts: record.attempts }, 'sandbox callback never acknowledged');
      return;
    }
    const backoffMs = Math.min(CALLBACK_RETRY_DELAY_MS_MAX, b.retryDelayMs * 2 ** (record.attempts - 1));
    this.#later(backoffMs, () => this.#attempt(callback, record));
  }

  /** True only for the wallet's acknowledgement; any failure to deliver counts as not acknowledged. */
  async #post(callback: OutgoingCallback): Promise<boolean> {
    this.#inFlight += 1;
    try {
      const response = await fetch(callback.url, {
        method: 'POST',
        headers: { ...callback.headers, 'content-type': callback.contentType },
        body: callback.body,
        signal: AbortSignal.any([AbortSignal.timeout(CALLBACK_TIMEOUT_MS), this.#ctx.closing]),
      });
      const text = await response.text();
      return this.#isAck(response.status, text);
    } catch (err) {
      this.#ctx.log?.debug({ err, callbackId: callback.id }, 'sandbox callback delivery failed');
      return false;
    } finally {
      this.#inFlight -= 1;
    }
  }
}
