/**
 * Our model ↔ acq_alpha's. The only place acq_alpha's amount format (minor units as a decimal
 * string), its status words and its decline codes exist.
 */
import { parseMinor } from '../money.ts';
import { malformed } from '../outcome.ts';
import { ChannelError, type ApprovedResult, type CreatePaymentRequest, type DeclinedResult, type DeclineReason, type RefundRequest, type RefundResult, type StatusResult } from '../types.ts';

type Json = Record<string, unknown>;

export const ALPHA_PAYMENT_STATUSES = ['CAPTURED', 'DECLINED', 'REFUNDED', 'PARTIALLY_REFUNDED'] as const;
export type AlphaPaymentStatus = (typeof ALPHA_PAYMENT_STATUSES)[number];

export function toAmount(amountMinor: bigint): string {
  return amountMinor.toString();
}

export function fromAmount(value: unknown, field: string): bigint {
  const amount = typeof value === 'string' ? parseMinor(value) : undefined;
  if (amount === undefined) throw malformed('acq_alpha', `${field} is not a minor-unit amount`);
  return amount;
}

export function toPaymentBody(r: CreatePaymentRequest): string {
  if (r.instrument.kind !== 'card') throw new ChannelError('acq_alpha', 'invalid_request', 'acq_alpha takes cards only', { charge: 'not_charged' });
  return JSON.stringify({
    request_id: r.attemptId,
    merchant_reference: r.paymentId,
    amount_minor: toAmount(r.amountMinor),
    currency: r.currency,
    card: { token: r.instrument.token, exp_month: r.instrument.expiryMonth, exp_year: r.instrument.expiryYear },
    capture: true,
    ...(r.description === undefined ? {} : { description: r.description }),
  });
}

export function toRefundBody(r: RefundRequest): string {
  return JSON.stringify({ request_id: r.refundId, payment_id: r.channelReference, amount_minor: toAmount(r.amountMinor), currency: r.currency });
}

/** acq_alpha decline codes (ISO 8583 response codes) → ours. */
export function declineReason(code: string): DeclineReason {
  switch (code) {
    case '51':
      return 'insufficient_funds';
    case '05':
      return 'do_not_honour';
    case '54':
      return 'expired_card';
    default:
      return 'other';
  }
}

function str(j: Json, key: string): string {
  const v = j[key];
  if (typeof v !== 'string' || v === '') throw malformed('acq_alpha', `${key} missing`);
  return v;
}

function paymentStatus(j: Json): AlphaPaymentStatus {
  const v = j.status;
  const known = ALPHA_PAYMENT_STATUSES.find((s) => s === v);
  if (known === undefined) throw malformed('acq_alpha', `unknown payment status ${JSON.stringify(v)}`);
  return known;
}

/** A verified payment answer → our status. Exhaustive over acq_alpha's statuses. */
export function fromPayment(j: Json, expectedRequestId: string): ApprovedResult | DeclinedResult | Extract<StatusResult, { status: 'refunded' }> {
  if (j.request_id !== expectedRequestId) throw malformed('acq_alpha', 'answer is for another request_id');
  const channelReference = str(j, 'id');
  const amountMinor = fromAmount(j.amount_minor, 'amount_minor');
  const currency = str(j, 'currency');
  const status = paymentStatus(j);
  switch (status) {
    case 'CAPTURED':
      return { status: 'approved', channelReference, amountMinor, currency };
    case 'DECLINED': {
      const code = str(j, 'decline_code');
      return { status: 'declined', reason: declineReason(code), channelReasonCode: code, channelReference };
    }
    case 'REFUNDED':
    case 'PARTIALLY_REFUNDED':
      return { status: 'refunded', channelReference, amountMinor, currency, refundedMinor: fromAmount(j.refunded_minor, 'refunded_minor') };
    default: {
      const unreachable: never = status;
      throw new Error(`unhandled acq_alpha status ${String(unreachable)}`);
    }
  }
}

export function fromRefund(j: Json, expectedRequestId: string): RefundResult {
  if (j.request_id !== expectedRequestId) throw malformed('acq_alpha', 'answer is for another request_id');
  const status = j.status;
  switch (status) {
    case 'SUCCEEDED':
      return { status: 'refunded', refundReference: str(j, 'id'), amountMinor: fromAmount(j.amount_minor, 'amount_minor'), currency: str(j, 'currency') };
    case 'FAILED':
      return { status: 'rejected', channelReasonCode: typeof j.failure_code === 'string' ? j.failure_code : 'unknown' };
    default:
      throw malformed('acq_alpha', `unknown refund status ${JSON.stringify(status)}`);
  }
}
