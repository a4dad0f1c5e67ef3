/** The delivery log in PostgreSQL (migration 1735000000000_webhooks.sql). */
import type { Pool } from '../../lib/postgres.ts';

export interface Delivery {
  eventId: string;
  paymentId: string;
  merchantId: string;
  url: string | null;
  body: string;
  attempts: number;
  deadlineAtMs: number;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'skipped';

/** Queues an event for its merchant; an event already queued (consumed again) is left as it is. */
export async function enqueue(pool: Pool, d: { eventId: string; paymentId: string; merchantId: string; eventType: string; url: string | null; body: string; nowMs: number; windowMs: number }): Promise<boolean> {
  const { rowCount } = await pool.query(
    `INSERT INTO webhook_deliveries (event_id, payment_id, merchant_id, event_type, url, body, status, next_attempt_at, deadline_at, last_error)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (event_id) DO NOTHING`,
    [d.eventId, d.paymentId, d.merchantId, d.eventType, d.url, d.body, d.url === null ? 'skipped' : 'pending', new Date(d.nowMs), new Date(d.nowMs + d.windowMs), d.url === null ? 'merchant has no webhook URL' : null],
  );
  return rowCount === 1;
}

/**
 * Claims up to `limit` due deliveries for this instance: their next attempt moves a lease ahead,
 * so other instances (SKIP LOCKED, then the moved time) do not send them at the same time.
 */
export async function claimDue(pool: Pool, nowMs: number, limit: number, leaseMs: number): Promise<Delivery[]> {
  const { rows } = await pool.query<{ event_id: string; payment_id: string; merchant_id: string; url: string | null; body: string; attempts: number; deadline_at: Date }>(
    `UPDATE webhook_deliveries SET next_attempt_at = $2
      WHERE event_id IN (SELECT event_id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED)
      RETURNING event_id, payment_id, merchant_id, url, body, attempts, deadline_at`,
    [new Date(nowMs), new Date(nowMs + leaseMs), limit],
  );
  return rows.map((r) => ({ eventId: r.event_id, paymentId: r.payment_id, merchantId: r.merchant_id, url: r.url, body: r.body, attempts: r.attempts, deadlineAtMs: r.deadline_at.getTime() }));
}

export async function recordAttempt(pool: Pool, eventId: string, outcome: { status: DeliveryStatus; httpStatus: number | null; error: string | null; nextAttemptAtMs: number; deliveredAtMs: number | null }): Promise<void> {
  await pool.query(
    `UPDATE webhook_deliveries SET status = $2, attempts = attempts + 1, last_http_status = $3, last_error = $4, next_attempt_at = $5, delivered_at = $6
      WHERE event_id = $1`,
    [eventId, outcome.status, outcome.httpStatus, outcome.error, new Date(outcome.nextAttemptAtMs), outcome.deliveredAtMs === null ? null : new Date(outcome.deliveredAtMs)],
  );
}

/** Puts deliveries back in the queue (an operator's replay): due now, with a fresh window. */
export async function requeue(pool: Pool, filter: { eventId?: string; paymentId?: string; merchantId?: string; sinceMs?: number }, nowMs: number, windowMs: number): Promise<number> {
  const where: string[] = [];
  const args: unknown[] = [new Date(nowMs), new Date(nowMs + windowMs)];
  if (filter.eventId !== undefined) where.push(`event_id = $${args.push(filter.eventId)}`);
  if (filter.paymentId !== undefined) where.push(`payment_id = $${args.push(filter.paymentId)}`);
  if (filter.merchantId !== undefined) where.push(`merchant_id = $${args.push(filter.merchantId)}`);
  if (filter.sinceMs !== undefined) where.push(`created_at >= $${args.push(new Date(filter.sinceMs))}`);
  if (where.length === 0) throw new Error('a replay needs an event, payment or merchant');
  const { rowCount } = await pool.query(`UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $1, deadline_at = $2, delivered_at = NULL WHERE url IS NOT NULL AND ${where.join(' AND ')}`, args);
  return rowCount ?? 0;
}

export interface DeliveryLogRow {
  eventId: string;
  eventType: string;
  status: DeliveryStatus;
  attempts: number;
  lastHttpStatus: number | null;
  lastError: string | null;
  nextAttemptAt: Date;
  deliveredAt: Date | null;
}

export async function deliveriesOf(pool: Pool, paymentId: string): Promise<DeliveryLogRow[]> {
  const { rows } = await pool.query<{ event_id: string; event_type: string; status: DeliveryStatus; attempts: number; last_http_status: number | null; last_error: string | null; next_attempt_at: Date; delivered_at: Date | null }>(
    'SELECT event_id, event_type, status, attempts, last_http_status, last_error, next_attempt_at, delivered_at FROM webhook_deliveries WHERE payment_id = $1 ORDER BY created_at, event_id',
    [paymentId],
  );
  return rows.map((r) => ({ eventId: r.event_id, eventType: r.event_type, status: r.status, attempts: r.attempts, lastHttpStatus: r.last_http_status, lastError: r.last_error, nextAttemptAt: r.next_attempt_at, deliveredAt: r.delivered_at }));
}
