/**
 * Our model ↔ wallet_b's. The only place wallet_b's amount format (major units as text,
 * "12.34", currencies with at most two decimals) and its trade statuses exist.
 */
import type { NotificationStatus } from '../../../schemas/types.ts';
import { currencyExponent, formatMajor, parseMajor } from '../money.ts';
import { malformed } from '../outcome.ts';
import { ChannelError, type CreatePaymentRequest, type RefundRequest, type StatusResult } from '../types.ts';
import type { Form } from './client.ts';

export const TRADE_STATUSES = ['WAIT_BUYER_PAY', 'TRADE_SUCCESS', 'TRADE_CLOSED', 'TRADE_FINISHED'] as const;
export type TradeStatus = (typeof TRADE_STATUSES)[number];

function exponentOf(currency: string): number | undefined {
  const e = currencyExponent(currency);
  return e !== undefined && e <= 2 ? e : undefined;
}

export function toAmount(amountMinor: bigint, currency: string): string {
  const exponent = exponentOf(currency);
  if (exponent === undefined) throw new ChannelError('wallet_b', 'invalid_request', `wallet_b does not take ${currency}`, { charge: 'not_charged' });
  return formatMajor(amountMinor, exponent);
}

export function fromAmount(text: string | undefined, currency: string, what: string): bigint {
  const exponent = exponentOf(currency);
  const v = exponent === undefined || text === undefined ? undefined : parseMajor(text, exponent);
  if (v === undefined) throw malformed('wallet_b', `${what} is not a major-unit amount in ${currency}`);
  return v;
}

export function toCreateFields(r: CreatePaymentRequest, notifyUrl: string): Form {
  if (r.instrument.kind !== 'wallet') throw new ChannelError('wallet_b', 'invalid_request', 'wallet_b takes wallet payments only', { charge: 'not_charged' });
  return { out_trade_no: r.attemptId, passback_params: r.paymentId, total_amount: toAmount(r.amountMinor, r.currency), currency: r.currency, subject: r.description ?? r.paymentId, notify_url: notifyUrl };
}

export function toRefundFields(r: RefundRequest): Form {
  return { out_request_no: r.refundId, trade_no: r.channelReference, refund_amount: toAmount(r.amountMinor, r.currency), currency: r.currency };
}

function field(f: Form, key: string): string {
  const v = f[key];
  if (v === undefined || v === '') throw malformed('wallet_b', `${key} missing`);
  return v;
}

export function tradeStatus(v: string | undefined): TradeStatus {
  const s = TRADE_STATUSES.find((t) => t === v);
  if (s === undefined) throw malformed('wallet_b', `unknown trade_status ${JSON.stringify(v)}`);
  return s;
}

/** A trade (query answer or notification) → our status. Exhaustive over wallet_b's trade statuses. */
export function fromTrade(f: Form, attemptId: string): StatusResult {
  if (f.out_trade_no !== attemptId) throw malformed('wallet_b', 'answer is for another out_trade_no');
  const currency = field(f, 'currency');
  const amountMinor = fromAmount(f.total_amount, currency, 'total_amount');
  const refundedMinor = f.refund_amount === undefined || f.refund_amount === '' ? 0n : fromAmount(f.refund_amount, currency, 'refund_amount');
  const channelReference = field(f, 'trade_no');
  const status = tradeStatus(f.trade_status);
  switch (status) {
    case 'WAIT_BUYER_PAY':
      return { status: 'pending', channelReference, payerAction: null };
    case 'TRADE_SUCCESS':
    case 'TRADE_FINISHED':
      return refundedMinor > 0n ? { status: 'refunded', channelReference, amountMinor, currency, refundedMinor } : { status: 'approved', channelReference, amountMinor, currency };
    case 'TRADE_CLOSED':
      // Closed after a full refund, or closed unpaid.
      return refundedMinor > 0n ? { status: 'refunded', channelReference, amountMinor, currency, refundedMinor } : { status: 'declined', reason: 'cancelled_by_payer', channelReasonCode: f.close_reason || status, channelReference };
    default: {
      const unreachable: never = status;
      throw new Error(`unhandled wallet_b trade_status ${String(unreachable)}`);
    }
  }
}

export function notificationStatus(result: StatusResult): NotificationStatus {
  switch (result.status) {
    case 'approved':
      return 'APPROVED';
    case 'declined':
      return 'DECLINED';
    case 'refunded':
      return 'REFUNDED';
    case 'pending':
    case 'not_found':
    case 'error':
    case 'ambiguous':
      throw malformed('wallet_b', `a notification cannot say ${result.status}`);
    default: {
      const unreachable: never = result;
      throw new Error(`unhandled status ${JSON.stringify(unreachable)}`);
    }
  }
}
