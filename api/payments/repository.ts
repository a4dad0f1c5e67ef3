/**
 * The API's own records in PostgreSQL: `accepted_payments` and `accepted_refunds`. A payment row is
 * inserted in the same transaction that produces the command (accept-batcher.ts), and committed
 * only after Kafka acknowledged it, so "GET after 202" always finds the payment. The result processor owns the
 * payment read model and its lifecycle statuses; `view` is the one place that will read its
 * status ahead of ours once it exists, and until its first event a payment reads as `accepted`.
 */
import type { Pool } from '../../lib/postgres.ts';
import { inTransaction } from '../../lib/postgres.ts';
import { guarded } from '../errors.ts';

export interface PaymentRow {
  paymentId: string;
  merchantOrderId: string;
  amountMinor: number;
  currency: string;
  method: string;
  status: string;
  capturedMinor: number;
  refundedMinor: number;
  reason: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface NewPayment {
  paymentId: string;
  merchantId: string;
  merchantOrderId: string;
  amountMinor: number;
  currency: string;
  method: string;
  requestDigest: string;
}

export type InsertOutcome =
  | { kind: 'inserted' }
  | { kind: 'same_payment' }
  | { kind: 'key_reused' }
  | { kind: 'duplicate_order'; paymentId: string };

interface DbRow {
  payment_id: string;
  merchant_order_id: string;
  amount_minor: string;
  currency: string;
  method: string;
  status: string;
  captured_minor: string;
  refunded_minor: string;
  reason: string | null;
  created_at: Date;
  updated_at: Date;
}

// The API's own row joined with the result processor's read model (payments); until the first
// event of a payment is applied only the accepted row exists, and the payment reads `accepted`.
const STATUS = "COALESCE(lower(p.status), a.status)";
const COLUMNS = `a.payment_id, a.merchant_order_id, a.amount_minor, a.currency, a.method, ${STATUS} AS status,
  COALESCE(p.captured_minor, 0) AS captured_minor, COALESCE(p.refunded_minor, 0) AS refunded_minor, p.reason,
  a.created_at, COALESCE(p.updated_at, a.created_at) AS updated_at`;
const FROM = 'accepted_payments a LEFT JOIN payments p ON p.payment_id = a.payment_id';

function view(row: DbRow): PaymentRow {
  return {
    paymentId: row.payment_id,
    merchantOrderId: row.merchant_order_id,
    // Bounded by the per-currency limits, far below 2^53.
    amountMinor: Number(row.amount_minor),
    currency: row.currency,
    method: row.method,
    status: row.status,
    capturedMinor: Number(row.captured_minor),
    refundedMinor: Number(row.refunded_minor),
    reason: row.reason,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export class PaymentRepository {
  constructor(private readonly pool: Pool) {}

  /** Why `payment` was not inserted: the same payment again, its key reused, or its order id taken. */
  async conflictOf(payment: NewPayment): Promise<Exclude<InsertOutcome, { kind: 'inserted' }>> {
    const { rows } = await guarded(
      'postgres',
      this.pool.query<{ payment_id: string; merchant_id: string; request_hash: string }>(
        'SELECT payment_id, merchant_id, request_hash FROM accepted_payments WHERE payment_id = $1 OR (merchant_id = $2 AND merchant_order_id = $3)',
        [payment.paymentId, payment.merchantId, payment.merchantOrderId],
      ),
    );
    const sameId = rows.find((r) => r.payment_id === payment.paymentId);
    if (sameId !== undefined) return sameId.merchant_id === payment.merchantId && sameId.request_hash === payment.requestDigest ? { kind: 'same_payment' } : { kind: 'key_reused' };
    const other = rows[0];
    // The row that conflicted was deleted in between: not possible, rows are never deleted.
    if (other === undefined) throw new Error('insert conflicted but no conflicting payment exists');
    return { kind: 'duplicate_order', paymentId: other.payment_id };
  }

  async find(merchantId: string, paymentId: string): Promise<PaymentRow | undefined> {
    const { rows } = await guarded('postgres', this.pool.query<DbRow>(`SELECT ${COLUMNS} FROM ${FROM} WHERE a.payment_id = $1 AND a.merchant_id = $2`, [paymentId, merchantId]));
    return rows[0] === undefined ? undefined : view(rows[0]);
  }

  /** Newest first; the cursor is the (createdAt, paymentId) of the last row of the previous page. */
  async list(merchantId: string, filter: { merchantOrderId?: string; status?: string; limit: number; after?: { createdAt: string; paymentId: string } }): Promise<PaymentRow[]> {
    const where = ['a.merchant_id = $1'];
    const args: unknown[] = [merchantId];
    if (filter.merchantOrderId !== undefined) where.push(`a.merchant_order_id = $${args.push(filter.merchantOrderId)}`);
    if (filter.status !== undefined) where.push(`${STATUS} = $${args.push(filter.status)}`);
    if (filter.after !== undefined) where.push(`(a.created_at, a.payment_id) < ($${args.push(filter.after.createdAt)}::timestamptz, $${args.push(filter.after.paymentId)})`);
    const sql = `SELECT ${COLUMNS} FROM ${FROM} WHERE ${where.join(' AND ')} ORDER BY a.created_at DESC, a.payment_id DESC LIMIT $${args.push(filter.limit)}`;
    const { rows } = await guarded('postgres', this.pool.query<DbRow>(sql, args));
    return rows.map(view);
  }

  /**
   * Records a refund and runs `produce` before committing, unless the payment has not been
   * captured yet or its refunds would add up to more than what was captured (refunds the channel
   * refused do not count). The payment's accepted row is locked so concurrent refunds are
   * serialised. The result processor checks the same bound again when it applies the command.
   */
  async refundAndProduce(
    merchantId: string,
    paymentId: string,
    refund: { refundId: string; amountMinor: number; reason: string },
    produce: (payment: PaymentRow) => Promise<void>,
  ): Promise<{ kind: 'inserted' | 'exists' | 'not_found' } | { kind: 'not_captured'; status: string } | { kind: 'exceeds'; refundableMinor: number }> {
    return guarded('postgres', () =>
      inTransaction(this.pool, async (client) => {
        await client.query('SELECT 1 FROM accepted_payments WHERE payment_id = $1 AND merchant_id = $2 FOR UPDATE', [paymentId, merchantId]);
        const found = await client.query<DbRow>(`SELECT ${COLUMNS} FROM ${FROM} WHERE a.payment_id = $1 AND a.merchant_id = $2`, [paymentId, merchantId]);
        const row = found.rows[0];
        if (row === undefined) return { kind: 'not_found' as const };
        const existing = await client.query('SELECT 1 FROM accepted_refunds WHERE refund_id = $1', [refund.refundId]);
        if (existing.rowCount === 1) return { kind: 'exists' as const };
        if (!REFUNDABLE.has(row.status)) return { kind: 'not_captured' as const, status: row.status };
        const sum = await client.query<{ total: string }>(
          `SELECT COALESCE(SUM(r.amount_minor), 0)::text AS total FROM accepted_refunds r
            WHERE r.payment_id = $1 AND NOT EXISTS (SELECT 1 FROM payment_refunds f WHERE f.refund_id = r.refund_id AND f.status = 'FAILED')`,
          [paymentId],
        );
        const refundableMinor = Number(row.captured_minor) - Number(sum.rows[0]?.total ?? '0');
        if (refund.amountMinor > refundableMinor) return { kind: 'exceeds' as const, refundableMinor };
        await client.query('INSERT INTO accepted_refunds (refund_id, payment_id, amount_minor, reason) VALUES ($1, $2, $3, $4)', [refund.refundId, paymentId, refund.amountMinor, refund.reason]);
        await produce(view(row));
        return { kind: 'inserted' as const };
      }),
    );
  }
}

/** Statuses (as the API shows them) in which money was captured and may be refunded. */
const REFUNDABLE = new Set(['succeeded', 'partially_refunded', 'refund_pending']);
