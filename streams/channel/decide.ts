/**
 * The executor's decisions for one payment, pure: from the assessed payment and what the
 * channel said last, the next step. The processor runs the calls; this file alone decides
 * which call comes next, so the money rules live in one place:
 * - a decline is final;
 * - an error answer (5xx, refused) is not proof by itself: the same attempt id may have been sent
 *   before by an instance that crashed, or in a transaction that aborted, and charged then. So
 *   the attempt is queried first, like an ambiguous one; only the channel's `not_found` (final:
 *   this id never charges) lets the payment fail over to the next usable channel;
 * - an ambiguous outcome (timeout, reset, unreadable answer) is resolved by querying the same
 *   attempt before anything else; a create never follows an unresolved ambiguous attempt, so
 *   a payment is never charged twice (see `connectors/channels/types.ts`).
 */
import type { PaymentAssessed, AttemptStatus } from '../../schemas/types.ts';
import type { PaymentResult, StatusResult, ChannelId } from '../../connectors/channels/types.ts';
import { CHANNEL_IDS } from '../../connectors/channels/types.ts';
import { CHANNELS_PER_PAYMENT_MAX, STATUS_QUERIES_MAX } from './limits.ts';

export type GiveUpReason =
  /** The risk decision was not APPROVE: nothing is sent to a channel. */
  | 'not_approved'
  /** No channel of the routed list is known, enabled and callable. */
  | 'no_channel_available'
  /** Every usable channel failed without charging. */
  | 'channels_exhausted'
  /** Queries could not tell whether an ambiguous attempt charged: left SENT for reconciliation. */
  | 'unresolved';

/** One line for `payments.attempts`; the processor adds amounts and times. */
export interface AttemptLine {
  attemptNumber: number;
  channelId: ChannelId;
  status: AttemptStatus;
  channelReference: string | null;
  declineCode: string | null;
  errorCode: string | null;
}

export type FinalStatus = 'APPROVED' | 'DECLINED' | 'PENDING';

export type Step =
  | { kind: 'create'; channelId: ChannelId; attemptNumber: number }
  | { kind: 'query'; channelId: ChannelId; attemptNumber: number; queryNumber: number }
  | { kind: 'final'; status: FinalStatus }
  | { kind: 'give_up'; reason: GiveUpReason };

/** Where one payment stands between calls. */
export interface PaymentProgress {
  /** The routed list, cut to known channels and CHANNELS_PER_PAYMENT_MAX, duplicates dropped. */
  channels: readonly ChannelId[];
  /** Index in `channels` of the channel last called (-1 before the first call). */
  channelIndex: number;
  /** Number of the last attempt made (0 before the first): its channel's 1-based place in `channels`. */
  attemptNumber: number;
  /** Queries made on the current attempt. */
  queries: number;
}

export interface Decision {
  progress: PaymentProgress;
  /** Attempt lines to record now, in order. */
  record: AttemptLine[];
  next: Step;
}

/** Whether a channel can be called right now (kill switch on, breaker open): read once per step. */
export type Usable = (channelId: ChannelId) => boolean;

export function attemptId(paymentId: string, attemptNumber: number): string {
  return `${paymentId}:${attemptNumber}`;
}

export function routedChannels(payment: Pick<PaymentAssessed, 'channelId' | 'fallbackChannelIds'>): ChannelId[] {
  const known = new Set<string>(CHANNEL_IDS);
  const out: ChannelId[] = [];
  for (const id of [payment.channelId, ...payment.fallbackChannelIds]) {
    if (known.has(id) && !out.includes(id as ChannelId)) out.push(id as ChannelId);
    if (out.length === CHANNELS_PER_PAYMENT_MAX) break;
  }
  return out;
}

/** The first step for a newly assessed payment. */
export function begin(payment: Pick<PaymentAssessed, 'channelId' | 'fallbackChannelIds' | 'decision'>, usable: Usable): Decision {
  const progress: PaymentProgress = { channels: routedChannels(payment), channelIndex: -1, attemptNumber: 0, queries: 0 };
  if (payment.decision !== 'APPROVE') return { progress, record: [], next: { kind: 'give_up', reason: 'not_approved' } };
  const next = failOver(progress, usable, 'no_channel_available');
  return next;
}

/** After a create call on the current attempt returned `result`. */
export function afterCreate(progress: PaymentProgress, result: PaymentResult, _usable: Usable): Decision {
  const channelId = currentChannel(progress);
  const line = lineOf(progress, channelId);
  switch (result.status) {
    case 'approved':
      return finish(progress, line('APPROVED', { channelReference: result.channelReference }), 'APPROVED');
    case 'declined':
      return finish(progress, line('DECLINED', { channelReference: result.channelReference, declineCode: result.reason }), 'DECLINED');
    case 'pending':
      return finish(progress, line('PENDING', { channelReference: result.channelReference }), 'PENDING');
    case 'error':
    case 'ambiguous':
      // Recorded as SENT: the attempt may have charged (now or when the same id was sent before);
      // nothing but a query may follow it.
      return {
        progress: { ...progress, queries: 1 },
        record: [line('SENT', { errorCode: result.error.code })],
        next: { kind: 'query', channelId, attemptNumber: progress.attemptNumber, queryNumber: 1 },
      };
    default: {
      const unreachable: never = result;
      throw new Error(`unknown payment result ${JSON.stringify(unreachable)}`);
    }
  }
}

/**
 * After the gate refused to send the current attempt's create (the channel was switched off or its
 * breaker opened while the create waited for a slot): this call sent nothing, so the channel is
 * skipped exactly as `begin` skips a channel that is unusable when the payment starts, with no
 * line recorded and a gap left in the attempt numbers.
 */
export function afterRefusal(progress: PaymentProgress, usable: Usable): Decision {
  return failOver(progress, usable, 'no_channel_available');
}

/** After a status query on the current (ambiguous) attempt returned `result`. */
export function afterQuery(progress: PaymentProgress, result: StatusResult, usable: Usable): Decision {
  const channelId = currentChannel(progress);
  const line = lineOf(progress, channelId);
  switch (result.status) {
    case 'approved':
    case 'refunded':
      // Refunded means it did charge: the payment is approved and someone refunded it since.
      return finish(progress, line('APPROVED', { channelReference: result.channelReference }), 'APPROVED');
    case 'declined':
      return finish(progress, line('DECLINED', { channelReference: result.channelReference, declineCode: result.reason }), 'DECLINED');
    case 'pending':
      return finish(progress, line('PENDING', { channelReference: result.channelReference }), 'PENDING');
    case 'not_found': {
      // The channel made it final that this attempt never charges: safe to fail over.
      const failedOver = failOver(progress, usable, 'channels_exhausted');
      return { ...failedOver, record: [line('FAILED', { errorCode: 'not_found' }), ...failedOver.record] };
    }
    case 'error':
    case 'ambiguous': {
      if (progress.queries >= STATUS_QUERIES_MAX) {
        return { progress, record: [], next: { kind: 'give_up', reason: 'unresolved' } };
      }
      const queries = progress.queries + 1;
      return {
        progress: { ...progress, queries },
        record: [],
        next: { kind: 'query', channelId, attemptNumber: progress.attemptNumber, queryNumber: queries },
      };
    }
    default: {
      const unreachable: never = result;
      throw new Error(`unknown status result ${JSON.stringify(unreachable)}`);
    }
  }
}

/** Builds the current attempt's lines: its number and channel, the rest given or empty. */
function lineOf(progress: PaymentProgress, channelId: ChannelId) {
  return (status: AttemptStatus, extra: Partial<AttemptLine> = {}): AttemptLine => ({
    attemptNumber: progress.attemptNumber,
    channelId,
    status,
    channelReference: null,
    declineCode: null,
    errorCode: null,
    ...extra,
  });
}

function currentChannel(progress: PaymentProgress): ChannelId {
  const channelId = progress.channels[progress.channelIndex];
  if (channelId === undefined) throw new Error(`no channel at index ${progress.channelIndex}: a call result without a call`);
  return channelId;
}

function finish(progress: PaymentProgress, line: AttemptLine, status: FinalStatus): Decision {
  return { progress, record: [line], next: { kind: 'final', status } };
}

/** The next usable channel after the current one, as a new attempt; or give up. */
function failOver(progress: PaymentProgress, usable: Usable, whenNone: GiveUpReason): Decision {
  for (let i = progress.channelIndex + 1; i < progress.channels.length; i += 1) {
    const channelId = progress.channels[i];
    if (channelId !== undefined && usable(channelId)) {
      // The attempt number is the channel's place in the routed list, so a replayed payment
      // (its transaction aborted) sends the same idempotency key to the same channel even when a
      // channel before it was skipped this time; a skipped channel leaves a gap in the numbers.
      const attemptNumber = i + 1;
      return {
        progress: { ...progress, channelIndex: i, attemptNumber, queries: 0 },
        record: [],
        next: { kind: 'create', channelId, attemptNumber },
      };
    }
  }
  return { progress, record: [], next: { kind: 'give_up', reason: whenNone } };
}
