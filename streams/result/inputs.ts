/**
 * The result processor's six input topics, each decoded with its own schema and reduced to a
 * ResultInput. The input id names the fact, so the same fact delivered twice (a channel's repeated
 * callback, a re-sent command) is recognised as one.
 */
import type { AvroCodec } from '../../schemas/codec.ts';
import type { ChannelNotification, PaymentAssessed, PaymentAttempt, PaymentCommand, PaymentRepair, PaymentRouted } from '../../schemas/types.ts';
import { PaystreamError } from '../../lib/errors.ts';
import type { ResultInput } from './state.ts';
import { STAGE } from './transitions.ts';

export const RESULT_INPUT_TOPICS = {
  commands: 'payments.commands',
  routed: 'payments.routed',
  assessed: 'payments.assessed',
  attempts: 'payments.attempts',
  notifications: 'channel.notifications',
  repairs: 'payments.repairs',
} as const;

export type InputTopics = { -readonly [K in keyof typeof RESULT_INPUT_TOPICS]: string };

export type RawInput =
  | { topic: 'commands'; value: PaymentCommand }
  | { topic: 'routed'; value: PaymentRouted }
  | { topic: 'assessed'; value: PaymentAssessed }
  | { topic: 'attempts'; value: PaymentAttempt }
  | { topic: 'notifications'; value: ChannelNotification }
  | { topic: 'repairs'; value: PaymentRepair };

export class ResultInputError extends PaystreamError<'unknown_input_topic' | 'unknown_command'> {
  constructor(code: 'unknown_input_topic' | 'unknown_command', message: string) {
    super(code, message, { retriable: false });
    this.name = 'ResultInputError';
  }
}

/** The runtime's decoder for all six topics: the topic picks the schema. */
export function inputDecoder(codec: AvroCodec, topics: InputTopics): { decode(bytes: Buffer, topic: string): Promise<RawInput> } {
  return {
    async decode(bytes, topic) {
      if (topic === topics.commands) return { topic: 'commands', value: await codec.decode('PaymentCommand', bytes) };
      if (topic === topics.routed) return { topic: 'routed', value: await codec.decode('PaymentRouted', bytes) };
      if (topic === topics.assessed) return { topic: 'assessed', value: await codec.decode('PaymentAssessed', bytes) };
      if (topic === topics.attempts) return { topic: 'attempts', value: await codec.decode('PaymentAttempt', bytes) };
      if (topic === topics.notifications) return { topic: 'notifications', value: await codec.decode('ChannelNotification', bytes) };
      if (topic === topics.repairs) return { topic: 'repairs', value: await codec.decode('PaymentRepair', bytes) };
      throw new ResultInputError('unknown_input_topic', `the result processor does not read ${topic}`);
    },
  };
}

/** Reduces a decoded record to the state machine's input; `traceId` is the record's trace. */
export function toInput(raw: RawInput, traceId: string | null): ResultInput {
  switch (raw.topic) {
    case 'commands': {
      const c = raw.value;
      const base = { inputId: `command:${c.commandId}`, paymentId: c.paymentId, atMs: c.issuedAtMs };
      const body = c.body;
      if ('paystream.CreatePayment' in body) {
        const create = body['paystream.CreatePayment'];
        return { ...base, kind: 'create', merchantId: c.merchantId, merchantReference: create.merchantReference, amountMinor: create.amountMinor, currency: create.currency, method: create.method, traceId };
      }
      if ('paystream.CancelPayment' in body) return { ...base, kind: 'cancel', reason: body['paystream.CancelPayment'].reason };
      if ('paystream.RefundPayment' in body) {
        const refund = body['paystream.RefundPayment'];
        return { ...base, kind: 'refund', refundId: refund.refundId, amountMinor: refund.amountMinor, currency: refund.currency, reason: refund.reason };
      }
      throw new ResultInputError('unknown_command', `command ${c.commandId} has no known body`);
    }
    case 'routed': {
      const r = raw.value;
      const noRoute = r.channelId === '' || (r as { outcome?: string }).outcome === 'NO_ROUTE';
      return { inputId: `routed:${r.paymentId}`, paymentId: r.paymentId, atMs: r.routedAtMs, kind: 'routed', channelId: noRoute ? null : r.channelId, fallbacks: r.fallbackChannelIds.length, ruleId: r.ruleId, experimentArm: r.experimentArm };
    }
    case 'assessed': {
      const a = raw.value;
      return { inputId: `assessed:${a.paymentId}:${a.decision}:${a.assessedAtMs}`, paymentId: a.paymentId, atMs: a.assessedAtMs, kind: 'assessed', decision: a.decision, reasons: a.reasons, channelId: a.channelId, fallbacks: a.fallbackChannelIds.length, ruleId: a.ruleId, experimentArm: a.experimentArm };
    }
    case 'attempts': {
      const a = raw.value;
      const latencyMs = a.respondedAtMs === null ? null : Math.max(0, a.respondedAtMs - a.requestedAtMs);
      return { inputId: `attempt:${a.attemptId}:${a.status}`, paymentId: a.paymentId, atMs: a.respondedAtMs ?? a.requestedAtMs, kind: 'attempt', attemptId: a.attemptId, attemptNumber: a.attemptNumber, channelId: a.channelId, status: a.status, channelReference: a.channelReference, declineCode: a.declineCode, errorCode: a.errorCode, latencyMs };
    }
    case 'notifications': {
      const n = raw.value;
      const base = { inputId: `notification:${n.channelId}:${n.notificationId}`, paymentId: n.paymentId, atMs: n.occurredAtMs };
      if (n.source === 'REFUND_CALL' || (n.refundId !== null && n.status === 'REFUNDED')) {
        return { ...base, kind: 'refund_result', refundId: n.refundId ?? '', ok: n.status === 'REFUNDED', reason: n.status === 'REFUNDED' ? null : 'refund_failed_at_channel' };
      }
      if (n.status === 'CHARGEBACK') return { ...base, kind: 'chargeback', channelId: n.channelId, channelReference: n.channelReference, amountMinor: n.amountMinor };
      // SETTLED confirms an approval: the payment succeeded at the channel.
      const outcome = n.status === 'APPROVED' || n.status === 'SETTLED' ? 'APPROVED' : n.status === 'DECLINED' ? 'DECLINED' : 'FAILED';
      return { ...base, kind: 'channel_result', channelId: n.channelId, attemptId: n.attemptId, channelReference: n.channelReference, outcome, reason: outcome === 'APPROVED' ? null : n.status.toLowerCase(), completion: 'ASYNC', amountMinor: n.amountMinor };
    }
    case 'repairs': {
      const r = raw.value;
      const base = { inputId: `repair:${r.repairId}`, paymentId: r.paymentId, atMs: r.observedAtMs };
      if (r.kind === 'EXPIRE') return { ...base, kind: 'expire', reason: r.reason ?? 'expired' };
      const status = r.channelStatus;
      if (status === 'APPROVED') return { ...base, kind: 'channel_result', channelId: r.channelId ?? '', attemptId: r.attemptId, channelReference: r.channelReference, outcome: 'APPROVED', reason: null, completion: 'SWEEPER', amountMinor: r.amountMinor };
      if (status === 'DECLINED' || status === 'FAILED' || status === 'NOT_FOUND') return { ...base, kind: 'channel_result', channelId: r.channelId ?? '', attemptId: r.attemptId, channelReference: r.channelReference, outcome: status === 'DECLINED' ? 'DECLINED' : 'FAILED', reason: r.reason ?? `channel_${(status ?? 'failed').toLowerCase()}`, completion: 'SWEEPER', amountMinor: null };
      // PENDING: the channel has not decided yet; recorded, nothing changes.
      return { ...base, kind: 'still_pending', channelId: r.channelId };
    }
    default:
      return raw satisfies never;
  }
}

/** Order in which parked inputs are applied once their payment exists: flow order, then time. */
export function flowOrder(input: ResultInput): number {
  switch (input.kind) {
    case 'create':
      return -1;
    case 'routed':
      return STAGE.ROUTED;
    case 'assessed':
      return input.decision === 'REVIEW' ? STAGE.IN_REVIEW : STAGE.RISK_APPROVED;
    case 'attempt':
      return input.status === 'SENT' || input.status === 'FAILED' ? STAGE.SUBMITTED : input.status === 'PENDING' ? STAGE.PROCESSING : STAGE.SUCCEEDED;
    case 'cancel':
    case 'still_pending':
    case 'channel_result':
    case 'expire':
    case 'chargeback':
      return STAGE.SUCCEEDED;
    case 'refund':
    case 'refund_result':
      return STAGE.REFUND_PENDING;
    default:
      return input satisfies never;
  }
}
