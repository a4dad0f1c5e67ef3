/**
 * The sandbox acquirer's ground truth: what it charged and refunded, keyed by the merchant's
 * request id so one request id is processed exactly once (a repeat gets the first answer).
 * Tests and the reconciliation compare against this.
 */
import assert from 'node:assert/strict';
import { PaystreamError } from '../../../lib/errors.ts';
import { JOURNAL_ENTRIES_MAX } from './limits.ts';

export type PaymentState = 'pending' | 'approved' | 'declined';

/** Our own decline reasons; each protocol writes them in its own words. */
/** `merchant_closed`: the merchant (paystream) closed an unpaid wallet order; it can no longer be paid. */
export type SandboxDeclineReason = 'insufficient_funds' | 'do_not_honour' | 'expired_card' | 'payer_cancelled' | 'merchant_closed';

export interface PaymentEntry {
  kind: 'payment';
  seq: number;
  requestId: string;
  merchantRef: string;
  reference: string;
  amountMinor: bigint;
  currency: string;
  state: PaymentState;
  declineReason: SandboxDeclineReason | null;
  feeMinor: bigint;
  refundedMinor: bigint;
  notifyUrl: string | null;
  createdAtMs: number;
  completedAtMs: number | null;
  /** Canonical text of the first request, to refuse a different request under the same id. */
  fingerprint: string;
  /** The first answer, replayed for repeats (protocols store what they need). */
  firstAnswer: unknown;
}

export interface RefundEntry {
  kind: 'refund';
  seq: number;
  requestId: string;
  reference: string;
  paymentReference: string;
  amountMinor: bigint;
  currency: string;
  state: 'refunded' | 'rejected';
  rejectReason: string | null;
  createdAtMs: number;
  fingerprint: string;
  firstAnswer: unknown;
}

export type JournalEntry = PaymentEntry | RefundEntry;

export class JournalFullError extends PaystreamError<'sandbox_journal_full'> {
  constructor() {
    super('sandbox_journal_full', `sandbox journal holds ${JOURNAL_ENTRIES_MAX} entries`);
  }
}

export class Journal {
  readonly #payments = new Map<string, PaymentEntry>();
  readonly #paymentsByReference = new Map<string, PaymentEntry>();
  readonly #refunds = new Map<string, RefundEntry>();
  readonly #entries: JournalEntry[] = [];
  /** Request ids a status query found unknown: closed for good, so a late-arriving create cannot charge them. */
  readonly #closed = new Set<string>();

  get size(): number {
    return this.#entries.length;
  }

  payment(requestId: string): PaymentEntry | undefined {
    return this.#payments.get(requestId);
  }

  paymentByReference(reference: string): PaymentEntry | undefined {
    return this.#paymentsByReference.get(reference);
  }

  /**
   * The status-query lookup. An unknown request id is closed on the spot: a "not found" answer
   * is final, because a create for that id still in flight in the network will be refused when
   * it lands. Without this, "not found" right after a timeout would not prove "never charged".
   */
  paymentOrClose(requestId: string): PaymentEntry | undefined {
    const entry = this.#payments.get(requestId);
    if (entry === undefined && !this.#closed.has(requestId)) {
      if (this.#closed.size >= JOURNAL_ENTRIES_MAX) throw new JournalFullError();
      this.#closed.add(requestId);
    }
    return entry;
  }

  isClosed(requestId: string): boolean {
    return this.#closed.has(requestId);
  }

  refund(requestId: string): RefundEntry | undefined {
    return this.#refunds.get(requestId);
  }

  addPayment(entry: Omit<PaymentEntry, 'kind' | 'seq'>): PaymentEntry {
    assert.ok(!this.#payments.has(entry.requestId), 'a request id is recorded once');
    if (this.#entries.length >= JOURNAL_ENTRIES_MAX) throw new JournalFullError();
    const full: PaymentEntry = { kind: 'payment', seq: this.#entries.length + 1, ...entry };
    this.#payments.set(full.requestId, full);
    this.#paymentsByReference.set(full.reference, full);
    this.#entries.push(full);
    return full;
  }

  addRefund(entry: Omit<RefundEntry, 'kind' | 'seq'>): RefundEntry {
    assert.ok(!this.#refunds.has(entry.requestId), 'a refund request id is recorded once');
    if (this.#entries.length >= JOURNAL_ENTRIES_MAX) throw new JournalFullError();
    const full: RefundEntry = { kind: 'refund', seq: this.#entries.length + 1, ...entry };
    this.#refunds.set(full.requestId, full);
    this.#entries.push(full);
    if (full.state === 'refunded') {
      const payment = this.#paymentsByReference.get(full.paymentReference);
      assert.ok(payment !== undefined && payment.state === 'approved', 'only a charged payment is refunded');
      payment.refundedMinor += full.amountMinor;
      assert.ok(payment.refundedMinor <= payment.amountMinor, 'never refund more than was charged');
    }
    return full;
  }

  /** A pending (wallet) payment reaches its end once; later calls are ignored and return false. */
  complete(reference: string, state: 'approved' | 'declined', declineReason: SandboxDeclineReason | null, feeMinor: bigint, atMs: number): boolean {
    const entry = this.#paymentsByReference.get(reference);
    assert.ok(entry !== undefined, `unknown payment ${reference}`);
    if (entry.state !== 'pending') return false;
    entry.state = state;
    entry.declineReason = declineReason;
    entry.feeMinor = state === 'approved' ? feeMinor : 0n;
    entry.completedAtMs = atMs;
    return true;
  }

  entries(): readonly JournalEntry[] {
    return this.#entries;
  }

  /** Payments the acquirer charged (approved), each exactly once. */
  charged(): PaymentEntry[] {
    return [...this.#payments.values()].filter((p) => p.state === 'approved');
  }

  /** JSON-safe view for the admin endpoint (bigints as decimal strings). */
  toJSON(): unknown[] {
    return this.#entries.map((e) => {
      const { firstAnswer: _firstAnswer, fingerprint: _fingerprint, ...rest } = e;
      return Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v]));
    });
  }
}
