/**
 * Group commit for POST /v1/payments. Each request hands over its accepted row and its command;
 * requests that arrive while earlier batches are committing are inserted together with one
 * multi-row INSERT ... ON CONFLICT DO NOTHING, their commands produced (acks=all) while the
 * transaction is open, and the transaction committed only after Kafka acknowledged them. The
 * guarantees are those of one request at a time: a 202 only after the command is durable, the row
 * visible to GET before the 202, nothing committed when the produce fails. A row that conflicts
 * is answered from `PaymentRepository.conflictOf`, as before.
 */
import type { Pool } from '../../lib/postgres.ts';
import { inTransaction } from '../../lib/postgres.ts';
import { guarded } from '../errors.ts';
import { ACCEPT_BATCHES_IN_FLIGHT_MAX, ACCEPT_BATCH_PAYMENTS_MAX } from '../limits.ts';
import type { InsertOutcome, NewPayment, PaymentRepository } from './repository.ts';

interface Pending {
  payment: NewPayment;
  produce: () => Promise<void>;
  resolve(outcome: InsertOutcome): void;
  reject(err: unknown): void;
}

const INSERT = `
INSERT INTO accepted_payments (payment_id, merchant_id, merchant_order_id, amount_minor, currency, method, status, request_hash)
SELECT p, m, o, a, c, k, 'accepted', h
  FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[]) AS t(p, m, o, a, c, k, h)
ON CONFLICT DO NOTHING
RETURNING payment_id`;

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export class AcceptBatcher {
  private queue: Pending[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly pool: Pool,
    private readonly payments: PaymentRepository,
    private readonly limits = { batchMax: ACCEPT_BATCH_PAYMENTS_MAX, inFlightMax: ACCEPT_BATCHES_IN_FLIGHT_MAX },
  ) {}

  /** Inserts `payment` and runs `produce` inside the same (shared) transaction, before its commit. */
  accept(payment: NewPayment, produce: () => Promise<void>): Promise<InsertOutcome> {
    return new Promise<InsertOutcome>((resolve, reject) => {
      this.queue.push({ payment, produce, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.limits.inFlightMax || this.queue.length === 0) return;
    this.scheduled = true;
    // Requests that reach this point in the same turn of the event loop commit together.
    setImmediate(() => {
      this.scheduled = false;
      const batch = this.queue.splice(0, this.limits.batchMax);
      this.inFlight += 1;
      void this.commit(batch).finally(() => {
        this.inFlight -= 1;
        this.schedule();
      });
      this.schedule();
    });
  }

  private async commit(unordered: Pending[]): Promise<void> {
    // Rows go in in one order of the merchant-order unique key, so two batches that both hold a
    // merchant's reused order id wait for each other in one direction and cannot deadlock.
    const batch = [...unordered].sort((a, b) => compare(a.payment.merchantId, b.payment.merchantId) || compare(a.payment.merchantOrderId, b.payment.merchantOrderId));
    let inserted: Set<string>;
    try {
      inserted = await guarded('postgres', () =>
        inTransaction(this.pool, async (client) => {
          const column = <T>(pick: (p: NewPayment) => T): T[] => batch.map((b) => pick(b.payment));
          const { rows } = await client.query<{ payment_id: string }>(INSERT, [
            column((p) => p.paymentId),
            column((p) => p.merchantId),
            column((p) => p.merchantOrderId),
            column((p) => String(p.amountMinor)),
            column((p) => p.currency),
            column((p) => p.method),
            column((p) => p.requestDigest),
          ]);
          const ids = new Set(rows.map((r) => r.payment_id));
          // Any produce failing fails the batch: nothing commits and every request answers 503.
          await Promise.all(batch.filter((b) => ids.has(b.payment.paymentId)).map((b) => b.produce()));
          return ids;
        }),
      );
    } catch (err) {
      for (const b of batch) b.reject(err);
      return;
    }
    await Promise.all(
      batch.map(async (b) => {
        if (inserted.has(b.payment.paymentId)) return b.resolve({ kind: 'inserted' });
        try {
          b.resolve(await this.payments.conflictOf(b.payment));
        } catch (err) {
          b.reject(err);
        }
      }),
    );
  }
}
