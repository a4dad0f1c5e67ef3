/**
 * Applies one input to one payment: pure, no I/O. Every status change goes through `move`, which
 * asks the transition table (transitions.ts). Inputs that arrive out of order are expected:
 *
 * - a target status the payment has already passed is stale knowledge: nothing changes;
 * - a target further along than the next step (a callback before the attempt record) is applied
 *   when the table can reach it from the current status, as one event;
 * - a channel success for a payment that already ended unpaid is a conflict: an anomaly, and a
 *   refund of the money the channel took, never dropped;
 * - anything else the table does not allow is refused with a reason.
 */
import type { PaymentStatus } from '../../schemas/types.ts';
import type { AnomalyDraft, Applied, EventDraft, PaymentState, ResultInput } from './state.ts';
import { ENDED_UNPAID, STAGE, isValidMove, reachableFrom } from './transitions.ts';

type Input<K extends ResultInput['kind']> = Extract<ResultInput, { kind: K }>;

function unchanged(state: PaymentState, outcome: Applied['outcome'], reason: string | null): Applied {
  return { state, events: [], anomalies: [], outcome, reason };
}

function draft(state: PaymentState, fields: Partial<EventDraft> & Pick<EventDraft, 'type' | 'status' | 'occurredAtMs'>): EventDraft {
  return { previousStatus: state.status, reason: null, completion: null, channelLatencyMs: null, refundId: null, refundAmountMinor: null, ...fields };
}

/**
 * Moves the payment to `target` if the table allows it (directly or by reaching ahead), with
 * `patch` applied to the state alongside; stale and refused moves change nothing.
 */
function move(state: PaymentState, target: PaymentStatus, event: Omit<EventDraft, 'status' | 'previousStatus'>, patch: Partial<PaymentState> = {}): Applied {
  const from = state.status;
  if (from === target) return unchanged(state, 'duplicate', `already ${target}`);
  const allowed = isValidMove(from, target) || (STAGE[target] > STAGE[from] && reachableFrom(from).has(target));
  if (!allowed) {
    if (STAGE[target] <= STAGE[from]) return unchanged(state, 'stale', `${target} arrived after ${from}`);
    return unchanged(state, 'rejected', `invalid_transition:${from}->${target}`);
  }
  const next: PaymentState = { ...state, ...patch, status: target, updatedAtMs: Math.max(state.updatedAtMs, event.occurredAtMs) };
  return { state: next, events: [{ ...event, status: target, previousStatus: from }], anomalies: [], outcome: 'applied', reason: null };
}

function routingPatch(state: PaymentState, input: Input<'routed'> | Input<'assessed'>): Partial<PaymentState> {
  return {
    channelId: state.channelId ?? input.channelId,
    routedChannels: input.channelId === null ? state.routedChannels : Math.max(state.routedChannels, 1 + input.fallbacks),
    ruleId: state.ruleId ?? input.ruleId,
    experimentArm: state.experimentArm ?? input.experimentArm,
  };
}

/** A channel took the money for a payment we had ended unpaid: record it and give the money back. */
function lateSuccess(state: PaymentState, input: { inputId: string; atMs: number; channelId: string; attemptId: string | null; channelReference: string | null; amountMinor: bigint | null }): Applied {
  const refundId = `conflict-${input.attemptId ?? input.channelReference ?? input.inputId}`;
  if (state.refunds[refundId] !== undefined) return unchanged(state, 'duplicate', 'conflict already handled');
  const amount = input.amountMinor ?? state.amountMinor;
  const anomaly: AnomalyDraft = {
    kind: 'LATE_SUCCESS',
    statusAtArrival: state.status,
    channelId: input.channelId,
    attemptId: input.attemptId,
    channelReference: input.channelReference,
    amountMinor: amount,
    action: 'REFUND_STARTED',
    refundId,
    detail: `channel ${input.channelId} reports success for a payment already ${state.status}; refund ${refundId} started`,
    detectedAtMs: input.atMs,
  };
  const reason = `late_success_after_${state.status.toLowerCase()}`;
  // The refund goes to where the money is: the channel, attempt and reference of the late success.
  const next: PaymentState = {
    ...state,
    channelId: input.channelId,
    attemptId: input.attemptId ?? state.attemptId,
    channelReference: input.channelReference ?? state.channelReference,
    refunds: { ...state.refunds, [refundId]: { amountMinor: amount, status: 'PENDING', conflict: true, channelId: input.channelId } },
    updatedAtMs: Math.max(state.updatedAtMs, input.atMs),
  };
  const base = { status: state.status, previousStatus: state.status, completion: null, channelLatencyMs: null, occurredAtMs: input.atMs };
  const events: EventDraft[] = [
    { ...base, type: 'CONFLICT', reason, refundId, refundAmountMinor: amount },
    { ...base, type: 'REFUND_REQUESTED', reason, refundId, refundAmountMinor: amount },
  ];
  return { state: next, events, anomalies: [anomaly], outcome: 'conflict', reason };
}

function succeeded(state: PaymentState, input: { inputId: string; atMs: number; channelId: string; attemptId: string | null; channelReference: string | null; amountMinor: bigint | null }, event: Omit<EventDraft, 'status' | 'previousStatus'>): Applied {
  if (ENDED_UNPAID.has(state.status)) return lateSuccess(state, input);
  if (input.amountMinor !== null && input.amountMinor !== state.amountMinor) {
    // The channel charged another amount than we asked: not silently taken as a success.
    const anomaly: AnomalyDraft = { kind: 'AMOUNT_MISMATCH', statusAtArrival: state.status, channelId: input.channelId, attemptId: input.attemptId, channelReference: input.channelReference, amountMinor: input.amountMinor, action: 'MANUAL_REVIEW', refundId: null, detail: `channel reports ${input.amountMinor} for a payment of ${state.amountMinor}`, detectedAtMs: input.atMs };
    return { ...unchanged(state, 'conflict', 'amount_mismatch'), anomalies: [anomaly] };
  }
  return move(state, 'SUCCEEDED', event, { capturedMinor: state.amountMinor, channelId: input.channelId, attemptId: input.attemptId ?? state.attemptId, channelReference: input.channelReference ?? state.channelReference, reason: null });
}

function refundStatus(refunded: bigint, pending: bigint, captured: bigint): PaymentStatus {
  if (pending > 0n) return 'REFUND_PENDING';
  if (refunded === 0n) return 'SUCCEEDED';
  return refunded >= captured ? 'REFUNDED' : 'PARTIALLY_REFUNDED';
}

function applyRefund(state: PaymentState, input: Input<'refund'>): Applied {
  if (state.refunds[input.refundId] !== undefined) return unchanged(state, 'duplicate', `refund ${input.refundId} already requested`);
  if (state.status !== 'SUCCEEDED' && state.status !== 'PARTIALLY_REFUNDED' && state.status !== 'REFUND_PENDING') return unchanged(state, 'rejected', `not_refundable_in_${state.status.toLowerCase()}`);
  if (input.currency !== state.currency) return unchanged(state, 'rejected', 'refund_currency_mismatch');
  const available = state.capturedMinor - state.refundedMinor - state.refundPendingMinor;
  if (input.amountMinor <= 0n || input.amountMinor > available) return unchanged(state, 'rejected', 'refund_exceeds_captured');
  const pending = state.refundPendingMinor + input.amountMinor;
  const next: PaymentState = { ...state, status: 'REFUND_PENDING', refundPendingMinor: pending, refunds: { ...state.refunds, [input.refundId]: { amountMinor: input.amountMinor, status: 'PENDING', conflict: false, channelId: state.channelId } }, updatedAtMs: Math.max(state.updatedAtMs, input.atMs) };
  if (!isValidMove(state.status, 'REFUND_PENDING')) return unchanged(state, 'rejected', `invalid_transition:${state.status}->REFUND_PENDING`);
  return { state: next, events: [draft(state, { type: 'REFUND_REQUESTED', status: 'REFUND_PENDING', refundId: input.refundId, refundAmountMinor: input.amountMinor, reason: input.reason, occurredAtMs: input.atMs })], anomalies: [], outcome: 'applied', reason: null };
}

function applyRefundResult(state: PaymentState, input: Input<'refund_result'>): Applied {
  const refund = state.refunds[input.refundId];
  if (refund === undefined) return unchanged(state, 'rejected', `unknown_refund:${input.refundId}`);
  if (refund.status !== 'PENDING') return unchanged(state, 'duplicate', `refund ${input.refundId} already ${refund.status}`);
  const refunds = { ...state.refunds, [input.refundId]: { ...refund, status: input.ok ? ('SUCCEEDED' as const) : ('FAILED' as const) } };
  const type = input.ok ? 'REFUND_SUCCEEDED' : 'REFUND_FAILED';
  const common = { refundId: input.refundId, refundAmountMinor: refund.amountMinor, reason: input.reason, occurredAtMs: input.atMs };
  if (refund.conflict) {
    // A conflict refund returns money the payment never kept: the payment's status stays as it ended.
    return { state: { ...state, refunds }, events: [draft(state, { ...common, type, status: state.status })], anomalies: [], outcome: 'applied', reason: null };
  }
  const pending = state.refundPendingMinor - refund.amountMinor;
  const refunded = state.refundedMinor + (input.ok ? refund.amountMinor : 0n);
  const target = refundStatus(refunded, pending, state.capturedMinor);
  if (!isValidMove(state.status, target)) return unchanged(state, 'rejected', `invalid_transition:${state.status}->${target}`);
  const next: PaymentState = { ...state, refunds, refundPendingMinor: pending, refundedMinor: refunded, status: target, updatedAtMs: Math.max(state.updatedAtMs, input.atMs) };
  return { state: next, events: [draft(state, { ...common, type, status: target })], anomalies: [], outcome: 'applied', reason: null };
}

function applyAttempt(state: PaymentState, input: Input<'attempt'>): Applied {
  const at = { occurredAtMs: input.atMs, completion: null, channelLatencyMs: null, refundId: null, refundAmountMinor: null };
  const patch: Partial<PaymentState> = { channelId: input.channelId, attemptId: input.attemptId, channelReference: input.channelReference ?? state.channelReference };
  switch (input.status) {
    case 'SENT':
      return move(state, 'SUBMITTED', { ...at, type: 'SUBMITTED', reason: null }, patch);
    case 'PENDING':
      return move(state, 'PROCESSING', { ...at, type: 'PROCESSING', reason: null }, patch);
    case 'APPROVED':
      return succeeded(state, { ...input, amountMinor: null }, { ...at, type: 'SUCCEEDED', reason: null, completion: 'SYNC', channelLatencyMs: input.latencyMs });
    case 'DECLINED':
      return move(state, 'FAILED', { ...at, type: 'FAILED', reason: input.declineCode ?? 'declined', completion: 'SYNC', channelLatencyMs: input.latencyMs }, { ...patch, reason: input.declineCode ?? 'declined' });
    case 'FAILED': {
      // The executor fails over after an error that surely did not charge: only the last routed channel's failure ends the payment.
      // Without the route known yet (its record not applied), the failure is not taken as the last.
      if (state.routedChannels === 0 || input.attemptNumber < state.routedChannels) return move(state, 'SUBMITTED', { ...at, type: 'SUBMITTED', reason: `failover_after_${input.errorCode ?? 'error'}` }, patch);
      const reason = input.errorCode ?? 'channel_error';
      return move(state, 'FAILED', { ...at, type: 'FAILED', reason, completion: 'SYNC', channelLatencyMs: input.latencyMs }, { ...patch, reason });
    }
    default:
      return input.status satisfies never;
  }
}

export function applyInput(state: PaymentState, input: ResultInput): Applied {
  const at = { occurredAtMs: input.atMs, completion: null, channelLatencyMs: null, refundId: null, refundAmountMinor: null };
  switch (input.kind) {
    case 'create':
      return unchanged(state, 'duplicate', 'payment already created');
    case 'cancel': {
      if (STAGE[state.status] >= STAGE.SUBMITTED) return unchanged(state, 'rejected', `not_cancellable_in_${state.status.toLowerCase()}`);
      return move(state, 'CANCELLED', { ...at, type: 'CANCELLED', reason: input.reason }, { reason: input.reason });
    }
    case 'refund':
      return applyRefund(state, input);
    case 'refund_result':
      return applyRefundResult(state, input);
    case 'routed': {
      if (input.channelId === null) return move(state, 'FAILED', { ...at, type: 'FAILED', reason: 'no_route' }, { reason: 'no_route' });
      const applied = move(state, 'ROUTED', { ...at, type: 'ROUTED', reason: null }, routingPatch(state, input));
      // Routing facts are kept even when the status has moved on (they explain the payment).
      return applied.outcome === 'applied' ? applied : { ...applied, state: { ...state, ...routingPatch(state, input) } };
    }
    case 'assessed': {
      const patch = routingPatch(state, input);
      const reason = input.reasons[0] ?? null;
      if (input.decision === 'APPROVE') return move(state, 'RISK_APPROVED', { ...at, type: 'RISK_APPROVED', reason: null }, patch);
      if (input.decision === 'REVIEW') return move(state, 'IN_REVIEW', { ...at, type: 'REVIEW_REQUIRED', reason }, patch);
      return move(state, 'RISK_REJECTED', { ...at, type: 'RISK_REJECTED', reason: reason ?? 'risk_declined' }, { ...patch, reason: reason ?? 'risk_declined' });
    }
    case 'attempt':
      return applyAttempt(state, input);
    case 'channel_result': {
      if (input.outcome === 'APPROVED') return succeeded(state, input, { ...at, type: 'SUCCEEDED', reason: null, completion: input.completion });
      const reason = input.reason ?? (input.outcome === 'DECLINED' ? 'declined' : 'channel_failed');
      return move(state, 'FAILED', { ...at, type: 'FAILED', reason, completion: input.completion }, { reason, channelId: input.channelId });
    }
    case 'still_pending':
      return unchanged(state, 'stale', 'channel_still_pending');
    case 'expire':
      return move(state, 'EXPIRED', { ...at, type: 'EXPIRED', reason: input.reason }, { reason: input.reason });
    case 'chargeback': {
      const anomaly: AnomalyDraft = { kind: 'CHARGEBACK', statusAtArrival: state.status, channelId: input.channelId, attemptId: null, channelReference: input.channelReference, amountMinor: input.amountMinor, action: 'MANUAL_REVIEW', refundId: null, detail: `channel ${input.channelId} reports a chargeback`, detectedAtMs: input.atMs };
      return { ...unchanged(state, 'conflict', 'chargeback'), anomalies: [anomaly] };
    }
    default:
      return input satisfies never;
  }
}

/** The state a create input starts, with its CREATED event. */
export function createPayment(input: Input<'create'>): Applied {
  const state: PaymentState = {
    paymentId: input.paymentId,
    merchantId: input.merchantId,
    merchantReference: input.merchantReference,
    amountMinor: input.amountMinor,
    currency: input.currency,
    method: input.method,
    status: 'CREATED',
    sequence: 0,
    capturedMinor: 0n,
    refundedMinor: 0n,
    refundPendingMinor: 0n,
    channelId: null,
    channelReference: null,
    attemptId: null,
    ruleId: null,
    experimentArm: null,
    routedChannels: 0,
    reason: null,
    traceId: input.traceId,
    createdAtMs: input.atMs,
    updatedAtMs: input.atMs,
    refunds: {},
  };
  return { state, events: [{ type: 'CREATED', status: 'CREATED', previousStatus: null, reason: null, completion: null, channelLatencyMs: null, refundId: null, refundAmountMinor: null, occurredAtMs: input.atMs }], anomalies: [], outcome: 'applied', reason: null };
}
