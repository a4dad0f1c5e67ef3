/**
 * Card acquiring shared by acq_alpha and acq_beta: authorise-and-capture decisions, charging
 * into the journal and refunds. Each protocol only translates its wire format to these calls.
 *
 * Test cards: token `tok_insufficient_funds` and `tok_do_not_honour` always decline with that
 * reason; an expiry before the current month declines as expired; otherwise `declineRate`.
 */
import type { SandboxContext } from './core.ts';
import type { PaymentEntry, RefundEntry, SandboxDeclineReason } from './journal.ts';

export interface CardPayment {
  requestId: string;
  merchantRef: string;
  amountMinor: bigint;
  currency: string;
  token: string;
  expiryMonth: number;
  expiryYear: number;
  fingerprint: string;
}

const RANDOM_REASONS: readonly SandboxDeclineReason[] = ['insufficient_funds', 'do_not_honour', 'expired_card'];

export function decideCard(ctx: SandboxContext, p: CardPayment): SandboxDeclineReason | null {
  if (p.token === 'tok_insufficient_funds') return 'insufficient_funds';
  if (p.token === 'tok_do_not_honour') return 'do_not_honour';
  const now = new Date(ctx.clock.nowMs());
  const expired = p.expiryYear < now.getUTCFullYear() || (p.expiryYear === now.getUTCFullYear() && p.expiryMonth < now.getUTCMonth() + 1);
  if (expired) return 'expired_card';
  if (ctx.chance(ctx.behaviour.declineRate)) return RANDOM_REASONS[Math.floor(ctx.random.next() * RANDOM_REASONS.length)] ?? 'do_not_honour';
  return null;
}

/** Authorises and captures in one step; the journal entry is the charge (or the decline). */
export function chargeCard(ctx: SandboxContext, p: CardPayment, referencePrefix: string): PaymentEntry {
  const declineReason = decideCard(ctx, p);
  const nowMs = ctx.clock.nowMs();
  return ctx.journal.addPayment({
    requestId: p.requestId,
    merchantRef: p.merchantRef,
    reference: ctx.nextId(referencePrefix),
    amountMinor: p.amountMinor,
    currency: p.currency,
    state: declineReason === null ? 'approved' : 'declined',
    declineReason,
    feeMinor: declineReason === null ? ctx.feeFor(p.amountMinor) : 0n,
    refundedMinor: 0n,
    notifyUrl: null,
    createdAtMs: nowMs,
    completedAtMs: nowMs,
    fingerprint: p.fingerprint,
    firstAnswer: undefined,
  });
}

export type RefundRejection = 'payment_not_found' | 'payment_not_charged' | 'currency_mismatch' | 'exceeds_charged';

/** Refunds part or all of a charged payment; a refund that cannot happen is recorded as rejected. */
export function refundPayment(
  ctx: SandboxContext,
  r: { requestId: string; paymentReference: string; amountMinor: bigint; currency: string; fingerprint: string },
  referencePrefix: string,
): RefundEntry {
  const payment = ctx.journal.paymentByReference(r.paymentReference);
  let rejectReason: RefundRejection | null = null;
  if (payment === undefined) rejectReason = 'payment_not_found';
  else if (payment.state !== 'approved') rejectReason = 'payment_not_charged';
  else if (payment.currency !== r.currency) rejectReason = 'currency_mismatch';
  else if (payment.refundedMinor + r.amountMinor > payment.amountMinor) rejectReason = 'exceeds_charged';
  return ctx.journal.addRefund({
    requestId: r.requestId,
    reference: ctx.nextId(referencePrefix),
    paymentReference: r.paymentReference,
    amountMinor: r.amountMinor,
    currency: r.currency,
    state: rejectReason === null ? 'refunded' : 'rejected',
    rejectReason,
    createdAtMs: ctx.clock.nowMs(),
    fingerprint: r.fingerprint,
    firstAnswer: undefined,
  });
}

/** Whether an existing journal entry answers a repeat of this request, or the id was reused for another request. */
export function sameRequest(entry: { fingerprint: string }, fingerprint: string): boolean {
  return entry.fingerprint === fingerprint;
}
