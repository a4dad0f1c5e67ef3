/**
 * Our model ↔ acq_beta's. The only place acq_beta's amount format (major units as a string,
 * "12.34", currencies with at most two decimals), result codes and refusal codes exist.
 */
import { currencyExponent, formatMajor, parseMajor } from '../money.ts';
import { malformed } from '../outcome.ts';
import { ChannelError, type ApprovedResult, type CreatePaymentRequest, type DeclinedResult, type DeclineReason, type RefundRequest, type RefundResult, type StatusResult } from '../types.ts';

type Json = Record<string, unknown>;

export const BETA_RESULT_CODES = ['Authorised', 'Refused', 'Refunded', 'PartiallyRefunded'] as const;
export type BetaResultCode = (typeof BETA_RESULT_CODES)[number];

/** acq_beta takes currencies with zero to two decimals. */
function exponentOf(currency: string): number | undefined {
  const e = currencyExponent(currency);
  return e !== undefined && e <= 2 ? e : undefined;
}

export function toMoney(amountMinor: bigint, currency: string): { value: string; currency: string } {
  const exponent = exponentOf(currency);
  if (exponent === undefined) throw new ChannelError('acq_beta', 'invalid_request', `acq_beta does not take ${currency}`, { charge: 'not_charged' });
  return { value: formatMajor(amountMinor, exponent), currency };
}

export function fromMoney(value: unknown): { amountMinor: bigint; currency: string } {
  const m = value as { value?: unknown; currency?: unknown } | null;
  const currency = typeof m?.currency === 'string' ? m.currency : '';
  const exponent = exponentOf(currency);
  const amountMinor = exponent !== undefined && typeof m?.value === 'string' ? parseMajor(m.value, exponent) : undefined;
  if (amountMinor === undefined) throw malformed('acq_beta', 'money is not a major-unit amount in a known currency');
  return { amountMinor, currency };
}

export function toAuthorisationBody(r: CreatePaymentRequest): string {
  if (r.instrument.kind !== 'card') throw new ChannelError('acq_beta', 'invalid_request', 'acq_beta takes cards only', { charge: 'not_charged' });
  return JSON.stringify({
    idempotencyKey: r.attemptId,
    orderRef: r.paymentId,
    money: toMoney(r.amountMinor, r.currency),
    card: { token: r.instrument.token, expiry: `${String(r.instrument.expiryMonth).padStart(2, '0')}/${r.instrument.expiryYear}` },
    ...(r.description === undefined ? {} : { shopperStatement: r.description }),
  });
}

export function toRefundBody(r: RefundRequest): string {
  return JSON.stringify({ idempotencyKey: r.refundId, pspReference: r.channelReference, money: toMoney(r.amountMinor, r.currency) });
}

export function declineReason(code: string): DeclineReason {
  switch (code) {
    case 'NSF':
      return 'insufficient_funds';
    case 'DNH':
      return 'do_not_honour';
    case 'EXP':
      return 'expired_card';
    case 'CAN':
      return 'cancelled_by_payer';
    default:
      return 'other';
  }
}

function str(j: Json, key: string): string {
  const v = j[key];
  if (typeof v !== 'string' || v === '') throw malformed('acq_beta', `${key} missing`);
  return v;
}

export function fromAuthorisation(j: Json, expectedKey: string): ApprovedResult | DeclinedResult | Extract<StatusResult, { status: 'refunded' }> {
  if (j.idempotencyKey !== expectedKey) throw malformed('acq_beta', 'answer is for another idempotencyKey');
  const channelReference = str(j, 'pspReference');
  const { amountMinor, currency } = fromMoney(j.money);
  const code = BETA_RESULT_CODES.find((c) => c === j.resultCode);
  if (code === undefined) throw malformed('acq_beta', `unknown resultCode ${JSON.stringify(j.resultCode)}`);
  switch (code) {
    case 'Authorised':
      return { status: 'approved', channelReference, amountMinor, currency };
    case 'Refused': {
      const refusal = str(j, 'refusalReasonCode');
      return { status: 'declined', reason: declineReason(refusal), channelReasonCode: refusal, channelReference };
    }
    case 'Refunded':
    case 'PartiallyRefunded':
      return { status: 'refunded', channelReference, amountMinor, currency, refundedMinor: fromMoney({ value: j.refundedValue, currency }).amountMinor };
    default: {
      const unreachable: never = code;
      throw new Error(`unhandled acq_beta resultCode ${String(unreachable)}`);
    }
  }
}

export function fromRefund(j: Json, expectedKey: string): RefundResult {
  if (j.idempotencyKey !== expectedKey) throw malformed('acq_beta', 'answer is for another idempotencyKey');
  switch (j.status) {
    case 'Received': {
      const { amountMinor, currency } = fromMoney(j.money);
      return { status: 'refunded', refundReference: str(j, 'refundReference'), amountMinor, currency };
    }
    case 'Rejected':
      return { status: 'rejected', channelReasonCode: typeof j.rejectReason === 'string' ? j.rejectReason : 'unknown' };
    default:
      throw malformed('acq_beta', `unknown refund status ${JSON.stringify(j.status)}`);
  }
}
