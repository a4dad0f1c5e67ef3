/**
 * The refund executor: consumes `payments.events`, and for every REFUND_REQUESTED (a merchant's
 * refund, or one the result processor started for a conflicting charge) calls the channel's
 * refund with the refund id as idempotency key, then reports the answer on
 * `channel.notifications` (source REFUND_CALL) for the result processor. An ambiguous answer is
 * resolved by a status query before anything else, so a refund is never paid out twice: a refund
 * handled again after a crash sends the same refund id, which the channel answers as before.
 */
import type { Registry } from 'prom-client';
import type { Kafka } from '../../lib/kafka.ts';
import type { Logger } from '../../lib/logger.ts';
import { PaystreamError } from '../../lib/errors.ts';
import type { AvroCodec } from '../../schemas/codec.ts';
import type { ChannelNotification, PaymentEvent } from '../../schemas/types.ts';
import type { ChannelAdapter, ChannelId, RefundResult } from '../../connectors/channels/types.ts';
import { createProcessor, type Processor, type ProcessorOptions } from '../runtime/index.ts';

export interface RefundExecutorOptions {
  name?: string;
  kafka: Kafka;
  codec: AvroCodec;
  adapters: Readonly<Partial<Record<ChannelId, ChannelAdapter>>>;
  logger: Logger;
  registry: Registry;
  eventsTopic?: string;
  notificationsTopic?: string;
  clock?: { nowMs(): number };
  runtime?: Partial<Pick<ProcessorOptions<PaymentEvent, ChannelNotification>, 'group' | 'allowAutoTopicCreation' | 'attemptsMax' | 'backoff'>>;
}

export class RefundError extends PaystreamError<'refund_channel_unknown' | 'refund_unresolved' | 'refund_incomplete'> {
  constructor(code: 'refund_channel_unknown' | 'refund_unresolved' | 'refund_incomplete', message: string, retriable: boolean) {
    super(code, message, { retriable });
    this.name = 'RefundError';
  }
}

type Outcome = { ok: true } | { ok: false; reason: string };

async function refundAt(adapter: ChannelAdapter, e: PaymentEvent & { refundId: string; refundAmountMinor: bigint; attemptId: string; channelReference: string }): Promise<Outcome> {
  const result: RefundResult = await adapter.refund({ refundId: e.refundId, attemptId: e.attemptId, channelReference: e.channelReference, amountMinor: e.refundAmountMinor, currency: e.currency });
  switch (result.status) {
    case 'refunded':
      return { ok: true };
    case 'rejected':
      return { ok: false, reason: result.channelReasonCode };
    case 'error':
      // Surely not refunded: retried (in place, then the runtime's budget) with the same refund id.
      throw new RefundError('refund_unresolved', `${adapter.channelId} refused the refund call for now: ${result.error.message}`, true);
    case 'ambiguous': {
      const status = await adapter.queryStatus({ attemptId: e.attemptId, channelReference: e.channelReference });
      if (status.status === 'refunded' && status.refundedMinor >= e.refundAmountMinor) return { ok: true };
      // Not visibly refunded yet: calling again with the same refund id is safe (idempotent at the channel).
      throw new RefundError('refund_unresolved', `${adapter.channelId} did not answer the refund ${e.refundId}; asking again`, true);
    }
    default:
      return result satisfies never;
  }
}

export function createRefundExecutor(options: RefundExecutorOptions): Processor {
  const notifications = options.notificationsTopic ?? 'channel.notifications';
  const clock = options.clock ?? { nowMs: () => Date.now() };
  return createProcessor<PaymentEvent, ChannelNotification>({
    name: options.name ?? 'channel-refunds',
    kafka: options.kafka,
    topics: [options.eventsTopic ?? 'payments.events'],
    decoder: { decode: (bytes) => options.codec.decode('PaymentEvent', bytes) },
    encoder: { encode: (value, topic) => options.codec.encode(topic, 'ChannelNotification', value) },
    logger: options.logger,
    registry: options.registry,
    ...options.runtime,
    handler: async (record, { log }) => {
      const e = record.value;
      if (e.type !== 'REFUND_REQUESTED') return [];
      const { refundId, refundAmountMinor, attemptId, channelReference, channelId } = e;
      if (refundId === null || refundAmountMinor === null || attemptId === null || channelReference === null || channelId === null) {
        throw new RefundError('refund_incomplete', `refund event ${e.eventId} lacks the refund id, amount, attempt, channel or reference`, false);
      }
      const adapter = options.adapters[channelId as ChannelId];
      if (adapter === undefined) throw new RefundError('refund_channel_unknown', `no adapter for channel ${channelId}`, false);
      const outcome = await refundAt(adapter, { ...e, refundId, refundAmountMinor, attemptId, channelReference });
      log.info({ refundId, channelId, ok: outcome.ok }, 'refund answered by the channel');
      const now = clock.nowMs();
      const notification: ChannelNotification = { notificationId: `refund:${refundId}`, channelId, paymentId: e.paymentId, attemptId, channelReference, status: outcome.ok ? 'REFUNDED' : 'FAILED', amountMinor: refundAmountMinor, currency: e.currency, refundId, source: 'REFUND_CALL', occurredAtMs: now, receivedAtMs: now };
      return [{ topic: notifications, key: e.paymentId, value: notification }];
    },
  });
}
