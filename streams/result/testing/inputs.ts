/** Builders of result-processor inputs for tests: one payment's facts, in flow order. */
import type { ResultInput } from '../state.ts';

type Of<K extends ResultInput['kind']> = Extract<ResultInput, { kind: K }>;

export const T0 = 1_760_000_000_000;

export function inputs(paymentId: string, amountMinor = 1_000n) {
  let n = 0;
  const at = () => T0 + ++n * 10;
  return {
    create: (): Of<'create'> => ({ kind: 'create', inputId: `command:create-${paymentId}`, paymentId, atMs: T0, merchantId: 'm-1', merchantReference: `order-${paymentId}`, amountMinor, currency: 'EUR', method: 'CARD', traceId: 'a'.repeat(32) }),
    routed: (fallbacks = 1): Of<'routed'> => ({ kind: 'routed', inputId: `routed:${paymentId}`, paymentId, atMs: at(), channelId: 'acq_alpha', fallbacks, ruleId: 'default@1', experimentArm: null }),
    noRoute: (): Of<'routed'> => ({ kind: 'routed', inputId: `routed:${paymentId}`, paymentId, atMs: at(), channelId: null, fallbacks: 0, ruleId: 'default@1', experimentArm: null }),
    assessed: (decision: 'APPROVE' | 'REVIEW' | 'DECLINE' = 'APPROVE', fallbacks = 1): Of<'assessed'> => ({ kind: 'assessed', inputId: `assessed:${paymentId}:${decision}`, paymentId, atMs: at(), decision, reasons: decision === 'APPROVE' ? [] : ['velocity_customer'], channelId: 'acq_alpha', fallbacks, ruleId: 'default@1', experimentArm: null }),
    attempt: (status: Of<'attempt'>['status'], attemptNumber = 1, extra: Partial<Of<'attempt'>> = {}): Of<'attempt'> => ({ kind: 'attempt', inputId: `attempt:${paymentId}:${attemptNumber}:${status}`, paymentId, atMs: at(), attemptId: `${paymentId}:${attemptNumber}`, attemptNumber, channelId: attemptNumber === 1 ? 'acq_alpha' : 'acq_beta', status, channelReference: status === 'APPROVED' || status === 'PENDING' ? `ref-${paymentId}-${attemptNumber}` : null, declineCode: status === 'DECLINED' ? 'insufficient_funds' : null, errorCode: status === 'FAILED' ? 'channel_5xx' : null, latencyMs: 120, ...extra }),
    callback: (outcome: 'APPROVED' | 'DECLINED' | 'FAILED', id = 'n1', amount: bigint | null = amountMinor): Of<'channel_result'> => ({ kind: 'channel_result', inputId: `notification:wallet_a:${paymentId}-${id}`, paymentId, atMs: at(), channelId: 'wallet_a', attemptId: `${paymentId}:1`, channelReference: `ref-${paymentId}-1`, outcome, reason: outcome === 'APPROVED' ? null : outcome.toLowerCase(), completion: 'ASYNC', amountMinor: amount }),
    cancel: (): Of<'cancel'> => ({ kind: 'cancel', inputId: `command:cancel-${paymentId}`, paymentId, atMs: at(), reason: 'merchant_request' }),
    expire: (): Of<'expire'> => ({ kind: 'expire', inputId: `repair:${paymentId}:EXPIRE`, paymentId, atMs: at(), reason: 'unpaid_timeout' }),
    refund: (refundId: string, refundMinor: bigint): Of<'refund'> => ({ kind: 'refund', inputId: `command:refund-${refundId}`, paymentId, atMs: at(), refundId, amountMinor: refundMinor, currency: 'EUR', reason: 'customer_return' }),
    refundResult: (refundId: string, ok: boolean): Of<'refund_result'> => ({ kind: 'refund_result', inputId: `notification:acq_alpha:refund:${refundId}`, paymentId, atMs: at(), refundId, ok, reason: ok ? null : 'refund_failed_at_channel' }),
  };
}
