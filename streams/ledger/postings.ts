/**
 * The journal entries one payment event becomes: pure, so each posting rule is testable alone.
 *
 *   capture (SUCCEEDED):        D channel receivable = C merchant payable + C fee revenue
 *   channel fee (SUCCEEDED):    D channel fee expense = C channel receivable (the channel keeps it)
 *   refund (REFUND_SUCCEEDED):  D merchant payable = C channel receivable (our fee is not returned)
 *   conflict (CONFLICT):        D channel receivable = C conflict clearing (money we never kept)
 *   conflict refund:            D conflict clearing = C channel receivable
 *
 * Every entry's debits equal its credits; the database checks it again at commit.
 */
import type { PaymentEvent, PaymentStatus } from '../../schemas/types.ts';
import { CHANNEL_FEES, MERCHANT_FEE, feeMinor, type RoundingMode } from '../../connectors/channels/fees.ts';

export interface Leg {
  accountId: string;
  direction: 'D' | 'C';
  amountMinor: bigint;
  currency: string;
}

export interface JournalEntry {
  journalId: string;
  /** Unique per posted fact: the event id and the entry's kind. */
  sourceId: string;
  paymentId: string;
  kind: 'capture' | 'channel_fee' | 'refund' | 'conflict' | 'conflict_refund' | 'payout' | 'payout_paid' | 'payout_reversal';
  description: string;
  legs: Leg[];
}

export const accounts = {
  merchantPayable: (merchantId: string) => `merchant:${merchantId}:payable`,
  channelReceivable: (channelId: string) => `channel:${channelId}:receivable`,
  channelFeeExpense: (channelId: string) => `expense:channel_fees:${channelId}`,
  feeRevenue: 'revenue:fees',
  conflictClearing: 'clearing:conflicts',
  payoutsInTransit: 'clearing:payouts_in_transit',
  bank: 'asset:bank',
};

const UNPAID: ReadonlySet<PaymentStatus> = new Set(['FAILED', 'CANCELLED', 'EXPIRED', 'RISK_REJECTED']);

function entry(e: PaymentEvent, kind: JournalEntry['kind'], description: string, legs: Leg[]): JournalEntry {
  return { journalId: `${e.eventId}:${kind}`, sourceId: `${e.eventId}:${kind}`, paymentId: e.paymentId, kind, description, legs: legs.filter((l) => l.amountMinor > 0n) };
}

export function entriesFor(e: PaymentEvent, rounding: RoundingMode): JournalEntry[] {
  const channel = e.channelId ?? 'unknown';
  const leg = (accountId: string, direction: 'D' | 'C', amountMinor: bigint): Leg => ({ accountId, direction, amountMinor, currency: e.currency });
  switch (e.type) {
    case 'SUCCEEDED': {
      const amount = e.capturedMinor > 0n ? e.capturedMinor : e.amountMinor;
      const merchantFee = feeMinor(MERCHANT_FEE, amount, e.currency, rounding);
      const model = CHANNEL_FEES[channel];
      const channelFee = model === undefined ? 0n : feeMinor(model, amount, e.currency, rounding);
      const out = [entry(e, 'capture', `capture of ${e.paymentId} at ${channel}`, [leg(accounts.channelReceivable(channel), 'D', amount), leg(accounts.merchantPayable(e.merchantId), 'C', amount - merchantFee), leg(accounts.feeRevenue, 'C', merchantFee)])];
      if (channelFee > 0n) out.push(entry(e, 'channel_fee', `${channel} fee on ${e.paymentId}`, [leg(accounts.channelFeeExpense(channel), 'D', channelFee), leg(accounts.channelReceivable(channel), 'C', channelFee)]));
      return out;
    }
    case 'REFUND_SUCCEEDED': {
      const amount = e.refundAmountMinor ?? 0n;
      if (UNPAID.has(e.status)) return [entry(e, 'conflict_refund', `refund ${e.refundId ?? ''} of a conflicting charge on ${e.paymentId}`, [leg(accounts.conflictClearing, 'D', amount), leg(accounts.channelReceivable(channel), 'C', amount)])];
      return [entry(e, 'refund', `refund ${e.refundId ?? ''} of ${e.paymentId}`, [leg(accounts.merchantPayable(e.merchantId), 'D', amount), leg(accounts.channelReceivable(channel), 'C', amount)])];
    }
    case 'CONFLICT': {
      const amount = e.refundAmountMinor ?? e.amountMinor;
      return [entry(e, 'conflict', `${channel} took ${e.paymentId} after it ended ${e.status}`, [leg(accounts.channelReceivable(channel), 'D', amount), leg(accounts.conflictClearing, 'C', amount)])];
    }
    default:
      return [];
  }
}
