/**
 * Our model ↔ wallet_a's. The only place wallet_a's amount format (integer minor units as a
 * JSON number, so at most 2^53 − 1) and its trade states exist.
 */
import { malformed } from '../outcome.ts';
import type { NotificationStatus } from '../../../schemas/types.ts';
import { ChannelError, type CreatePaymentRequest, type PendingResult, type RefundRequest, type RefundResult, type StatusResult } from '../types.ts';

type Json = Record<string, unknown>;

export const TRADE_STATES = ['NOTPAY', 'SUCCESS', 'PAYERROR', 'REFUND', 'CLOSED'] as const;
export type TradeState = (typeof TRADE_STATES)[number];

export function toAmount(amountMinor: bigint): number {
  if (amountMinor <= 0n || amountMinor > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ChannelError('wallet_a', 'invalid_request', 'wallet_a amounts are JSON integers: at most 2^53 - 1 minor units', { charge: 'not_charged' });
  }
  return Number(amountMinor);
}

export function fromAmount(value: unknown, what: string): bigint {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw malformed('wallet_a', `${what} is not an integer amount`);
  return BigInt(value);
}

export function toOrderBody(r: CreatePaymentRequest, notifyUrl: string): string {
  if (r.instrument.kind !== 'wallet') throw new ChannelError('wallet_a', 'invalid_request', 'wallet_a takes wallet payments only', { charge: 'not_charged' });
  return JSON.stringify({ out_trade_no: r.attemptId, merchant_ref: r.paymentId, amount: { total: toAmount(r.amountMinor), currency: r.currency }, notify_url: notifyUrl, ...(r.description === undefined ? {} : { description: r.description }) });
}

export function toRefundBody(r: RefundRequest): string {
  return JSON.stringify({ out_refund_no: r.refundId, transaction_id: r.channelReference, amount: { refund: toAmount(r.amountMinor), currency: r.currency } });
}

function str(j: Json, key: string): string {
  const v = j[key];
  if (typeof v !== 'string' || v === '') throw malformed('wallet_a', `${key} missing`);
  return v;
}

export function fromCreated(j: Json, attemptId: string): PendingResult {
  if (j.out_trade_no !== attemptId) throw malformed('wallet_a', 'answer is for another out_trade_no');
  return { status: 'pending', channelReference: str(j, 'prepay_id'), payerAction: { kind: 'qr', value: str(j, 'code_url') } };
}

export function tradeState(v: unknown): TradeState {
  const state = TRADE_STATES.find((s) => s === v);
  if (state === undefined) throw malformed('wallet_a', `unknown trade_state ${JSON.stringify(v)}`);
  return state;
}

/** An order (status answer or callback resource) → our status. Exhaustive over wallet_a's trade states. */
export function fromOrder(j: Json, attemptId: string): StatusResult {
  if (j.out_trade_no !== attemptId) throw malformed('wallet_a', 'answer is for another out_trade_no');
  const amount = (j.amount ?? {}) as Json;
  const amountMinor = fromAmount(amount.total, 'amount.total');
  const currency = str(amount, 'currency');
  const state = tradeState(j.trade_state);
  switch (state) {
    case 'NOTPAY':
      return { status: 'pending', channelReference: str(j, 'prepay_id'), payerAction: null };
    case 'SUCCESS':
      return { status: 'approved', channelReference: str(j, 'transaction_id'), amountMinor, currency };
    case 'PAYERROR':
      return { status: 'declined', reason: 'cancelled_by_payer', channelReasonCode: state, channelReference: str(j, 'prepay_id') };
    case 'CLOSED':
      return { status: 'declined', reason: 'other', channelReasonCode: state, channelReference: str(j, 'prepay_id') };
    case 'REFUND':
      return { status: 'refunded', channelReference: str(j, 'transaction_id'), amountMinor, currency, refundedMinor: fromAmount(amount.refunded, 'amount.refunded') };
    default: {
      const unreachable: never = state;
      throw new Error(`unhandled wallet_a trade_state ${String(unreachable)}`);
    }
  }
}

/** Callback trade state → the notification status we publish. */
export function notificationStatus(state: TradeState): NotificationStatus {
  switch (state) {
    case 'SUCCESS':
      return 'APPROVED';
    case 'PAYERROR':
    case 'CLOSED':
      return 'DECLINED';
    case 'REFUND':
      return 'REFUNDED';
    case 'NOTPAY':
      throw malformed('wallet_a', 'a callback for an unpaid order');
    default: {
      const unreachable: never = state;
      throw new Error(`unhandled wallet_a trade_state ${String(unreachable)}`);
    }
  }
}

export function fromRefund(j: Json, refundId: string): RefundResult {
  if (j.out_refund_no !== refundId) throw malformed('wallet_a', 'answer is for another out_refund_no');
  switch (j.status) {
    case 'SUCCESS': {
      const amount = (j.amount ?? {}) as Json;
      return { status: 'refunded', refundReference: str(j, 'refund_id'), amountMinor: fromAmount(amount.refund, 'amount.refund'), currency: str(amount, 'currency') };
    }
    case 'ABNORMAL':
      return { status: 'rejected', channelReasonCode: typeof j.reason === 'string' ? j.reason : 'ABNORMAL' };
    default:
      throw malformed('wallet_a', `unknown refund status ${JSON.stringify(j.status)}`);
  }
}
