/**
 * Sends due webhooks: claims a batch, POSTs each (signed, with a timeout), records the outcome.
 * A 2xx ends the delivery; anything else (status, timeout, refused connection) is retried with
 * exponential backoff and jitter until the delivery's deadline, after which it is failed and
 * waits for an operator's replay. Several dispatchers may run: claims never overlap.
 */
import type { Logger } from '../../lib/logger.ts';
import type { Pool } from '../../lib/postgres.ts';
import type { MerchantStore } from '../../api/merchants/store.ts';
import { WEBHOOK_CLAIM_BATCH_MAX, WEBHOOK_CLAIM_LEASE_MS, WEBHOOK_ERROR_TEXT_MAX, WEBHOOK_POLL_INTERVAL_MS, WEBHOOK_RETRY_DELAY_MS_MAX, WEBHOOK_RETRY_DELAY_MS_MIN, WEBHOOK_TIMEOUT_MS } from './limits.ts';
import { webhookHeaders } from './payload.ts';
import { claimDue, recordAttempt, type Delivery } from './store.ts';

export interface DispatcherOptions {
  pool: Pool;
  merchants: Pick<MerchantStore, 'webhookTarget'>;
  logger: Logger;
  nowMs?: () => number;
  random?: () => number;
  retryDelayMsMin?: number;
  retryDelayMsMax?: number;
  timeoutMs?: number;
  pollIntervalMs?: number;
  onAttempt?: (outcome: 'delivered' | 'retry' | 'failed') => void;
}

/** Delay before attempt `attempts + 1`: doubling from the minimum, capped, with ±50% jitter so retries of one outage spread out. */
export function retryDelayMs(attempts: number, min: number, max: number, random: () => number): number {
  const base = Math.min(max, min * 2 ** Math.max(0, attempts - 1));
  return Math.round(base * (0.5 + random()));
}

export class WebhookDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly options: DispatcherOptions) {
    this.now = options.nowMs ?? Date.now;
  }

  start(): void {
    this.stopped = false;
    const tick = () => {
      this.running = this.round()
        .then(() => undefined)
        .catch((err: unknown) => this.options.logger.error({ err }, 'webhook round failed'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.options.pollIntervalMs ?? WEBHOOK_POLL_INTERVAL_MS);
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.running;
  }

  /** One claim-and-send round; returns how many deliveries it attempted. */
  async round(): Promise<number> {
    const due = await claimDue(this.options.pool, this.now(), WEBHOOK_CLAIM_BATCH_MAX, WEBHOOK_CLAIM_LEASE_MS);
    await Promise.all(due.map((d) => this.attempt(d)));
    return due.length;
  }

  private async attempt(d: Delivery): Promise<void> {
    const log = this.options.logger.child({ paymentId: d.paymentId, eventId: d.eventId });
    const target = await this.options.merchants.webhookTarget(d.merchantId);
    if (target?.secret === null || target === undefined || d.url === null) {
      await recordAttempt(this.options.pool, d.eventId, { status: 'skipped', httpStatus: null, error: 'merchant has no webhook secret or URL', nextAttemptAtMs: this.now(), deliveredAtMs: null });
      return;
    }
    let httpStatus: number | null = null;
    let error: string | null = null;
    try {
      const response = await fetch(d.url, { method: 'POST', body: d.body, headers: webhookHeaders(target.secret.reveal(), d.url, d.eventId, d.body, this.now()), signal: AbortSignal.timeout(this.options.timeoutMs ?? WEBHOOK_TIMEOUT_MS), redirect: 'manual' });
      httpStatus = response.status;
      if (!response.ok) error = (await response.text().catch(() => '')).slice(0, WEBHOOK_ERROR_TEXT_MAX) || `HTTP ${response.status}`;
    } catch (err) {
      error = (err instanceof Error ? `${err.name}: ${err.message}${err.cause instanceof Error ? ` (${err.cause.message})` : ''}` : String(err)).slice(0, WEBHOOK_ERROR_TEXT_MAX);
    }
    const now = this.now();
    if (error === null) {
      await recordAttempt(this.options.pool, d.eventId, { status: 'delivered', httpStatus, error: null, nextAttemptAtMs: now, deliveredAtMs: now });
      this.options.onAttempt?.('delivered');
      return;
    }
    const next = now + retryDelayMs(d.attempts + 1, this.options.retryDelayMsMin ?? WEBHOOK_RETRY_DELAY_MS_MIN, this.options.retryDelayMsMax ?? WEBHOOK_RETRY_DELAY_MS_MAX, this.options.random ?? Math.random);
    const failed = next > d.deadlineAtMs;
    await recordAttempt(this.options.pool, d.eventId, { status: failed ? 'failed' : 'pending', httpStatus, error, nextAttemptAtMs: failed ? now : next, deliveredAtMs: null });
    this.options.onAttempt?.(failed ? 'failed' : 'retry');
    log.warn({ httpStatus, error, attempts: d.attempts + 1, failed }, failed ? 'webhook delivery failed for good (replay with paystream webhooks replay)' : 'webhook delivery failed; will retry');
  }
}
