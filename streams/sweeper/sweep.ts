/**
 * One sweep of stuck and unpaid payments, run by one instance at a time (a PostgreSQL advisory
 * lock). Payments SUBMITTED or PROCESSING past their channel's deadline are queried at the
 * channel; the answer goes to the result processor as a PaymentRepair on `payments.repairs`,
 * so a lost callback is repaired through the state machine like any other fact. Payments unpaid
 * past the expiry time (and not found paid at the channel) get an EXPIRE repair.
 *
 * A wallet order still open at the channel is closed there before it is expired (the adapter's
 * cancelPayment), so the payer can no longer pay it; one paid meanwhile is repaired as paid. Should
 * a channel still take the money after expiry, the result processor refunds it (a LATE_SUCCESS).
 */
import type { Logger } from '../../lib/logger.ts';
import type { Pool } from '../../lib/postgres.ts';
import type { ChannelAdapter, StatusResult } from '../../connectors/channels/types.ts';
import type { PaymentRepair, RepairChannelStatus } from '../../schemas/types.ts';
import { CHANNEL_DEADLINE_MS, CHANNEL_DEADLINE_MS_DEFAULT, SWEEP_LOCK_KEY, SWEEP_PAYMENTS_MAX, SWEEP_QUERIES_CONCURRENT } from './limits.ts';

export interface SweepOptions {
  pool: Pool;
  adapters: Readonly<Record<string, ChannelAdapter | undefined>>;
  publish: (repairs: readonly PaymentRepair[]) => Promise<void>;
  logger: Logger;
  nowMs: number;
  sweepId: string;
  expiryMs: number;
  deadlinesMs?: Readonly<Record<string, number>>;
}

export interface SweepResult {
  /** false when another instance held the lock. */
  ran: boolean;
  queried: number;
  repairs: PaymentRepair[];
  /** Channel queries that failed (the payment is looked at again next sweep). */
  queryErrors: number;
}

interface Candidate {
  payment_id: string;
  status: string;
  channel_id: string | null;
  attempt_id: string | null;
  channel_reference: string | null;
  created_at: Date;
  updated_at: Date;
}

function channelStatus(result: StatusResult): { status: RepairChannelStatus; reason: string | null; reference: string | null; amountMinor: bigint | null; currency: string | null } | undefined {
  switch (result.status) {
    case 'approved':
      return { status: 'APPROVED', reason: null, reference: result.channelReference, amountMinor: result.amountMinor, currency: result.currency };
    case 'refunded':
      return { status: 'APPROVED', reason: null, reference: result.channelReference, amountMinor: result.amountMinor, currency: result.currency };
    case 'declined':
      return { status: 'DECLINED', reason: result.reason, reference: result.channelReference, amountMinor: null, currency: null };
    case 'pending':
      return { status: 'PENDING', reason: null, reference: result.channelReference, amountMinor: null, currency: null };
    case 'not_found':
      return { status: 'NOT_FOUND', reason: 'not_found_at_channel', reference: null, amountMinor: null, currency: null };
    case 'error':
    case 'ambiguous':
      return undefined;
    default:
      return result satisfies never;
  }
}

async function inBatches<T>(items: readonly T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  }));
}

export async function sweep(options: SweepOptions): Promise<SweepResult> {
  const client = await options.pool.connect();
  try {
    const { rows: lock } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [SWEEP_LOCK_KEY]);
    if (lock[0]?.locked !== true) return { ran: false, queried: 0, repairs: [], queryErrors: 0 };
    try {
      return await sweepLocked(options, client);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [SWEEP_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}

async function sweepLocked(options: SweepOptions, client: { query: Pool['query'] }): Promise<SweepResult> {
  const deadlines: Readonly<Record<string, number>> = { ...CHANNEL_DEADLINE_MS, ...options.deadlinesMs };
  const minDeadline = Math.min(...Object.values(deadlines), CHANNEL_DEADLINE_MS_DEFAULT);
  const { rows } = await client.query<Candidate>(
    `SELECT payment_id, status, channel_id, attempt_id, channel_reference, created_at, updated_at FROM payments
      WHERE (status IN ('SUBMITTED', 'PROCESSING') AND updated_at < $1)
         OR (status IN ('CREATED', 'ROUTED', 'RISK_APPROVED', 'IN_REVIEW') AND created_at < $2)
      ORDER BY updated_at LIMIT $3`,
    [new Date(options.nowMs - Math.min(minDeadline, options.expiryMs)), new Date(options.nowMs - options.expiryMs), SWEEP_PAYMENTS_MAX],
  );
  const repairs: PaymentRepair[] = [];
  let queried = 0;
  let queryErrors = 0;
  const base = (p: Candidate, kind: PaymentRepair['kind']): PaymentRepair => ({ repairId: `${p.payment_id}:${kind}:${options.sweepId}`, paymentId: p.payment_id, kind, channelId: p.channel_id, attemptId: p.attempt_id, channelReference: p.channel_reference, channelStatus: null, amountMinor: null, currency: null, reason: null, observedAtMs: options.nowMs });
  const expired = (p: Candidate) => options.nowMs - p.created_at.getTime() >= options.expiryMs;
  await inBatches(rows, SWEEP_QUERIES_CONCURRENT, async (p) => {
    const submitted = p.status === 'SUBMITTED' || p.status === 'PROCESSING';
    if (!submitted) {
      if (expired(p)) repairs.push({ ...base(p, 'EXPIRE'), reason: 'unpaid_timeout' });
      return;
    }
    if (options.nowMs - p.updated_at.getTime() < (deadlines[p.channel_id ?? ''] ?? CHANNEL_DEADLINE_MS_DEFAULT)) return;
    const adapter = p.channel_id === null ? undefined : options.adapters[p.channel_id];
    if (adapter === undefined || p.attempt_id === null) {
      options.logger.warn({ paymentId: p.payment_id, channelId: p.channel_id }, 'stuck payment on a channel this sweeper cannot query');
      return;
    }
    queried += 1;
    const answer = channelStatus(await adapter.queryStatus({ attemptId: p.attempt_id, channelReference: p.channel_reference }));
    if (answer === undefined) {
      queryErrors += 1;
      return;
    }
    if (answer.status === 'PENDING' && expired(p)) {
      // Closed at the channel first, so the payer can no longer pay what we expire.
      if (adapter.cancelPayment === undefined) {
        repairs.push({ ...base(p, 'EXPIRE'), channelStatus: 'PENDING', reason: 'unpaid_timeout' });
        return;
      }
      const closed = await adapter.cancelPayment({ attemptId: p.attempt_id, channelReference: p.channel_reference });
      if (closed.status === 'cancelled') repairs.push({ ...base(p, 'EXPIRE'), channelStatus: 'PENDING', reason: 'unpaid_timeout' });
      else if (closed.status === 'approved') repairs.push({ ...base(p, 'CHANNEL_STATUS'), channelStatus: 'APPROVED', channelReference: closed.channelReference, amountMinor: closed.amountMinor, currency: closed.currency });
      else if (closed.status === 'declined') repairs.push({ ...base(p, 'CHANNEL_STATUS'), channelStatus: 'DECLINED', reason: closed.reason });
      // The close could not be done now: the next sweep tries again.
      else queryErrors += 1;
      return;
    }
    repairs.push({ ...base(p, 'CHANNEL_STATUS'), channelStatus: answer.status, channelReference: answer.reference ?? p.channel_reference, amountMinor: answer.amountMinor, currency: answer.currency, reason: answer.reason });
  });
  if (repairs.length > 0) await options.publish(repairs);
  for (const r of repairs) options.logger.info({ paymentId: r.paymentId, kind: r.kind, channelStatus: r.channelStatus }, 'sweeper repair published');
  return { ran: true, queried, repairs, queryErrors };
}
