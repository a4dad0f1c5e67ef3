/**
 * Follows `payments.events` (read_committed, its own consumer group) and queues each event a
 * merchant should hear about in the delivery log. At least once: an event consumed again after a
 * restart finds its row already queued (the event id is the key), so it is not sent twice.
 */
import type { Consumer, Kafka } from '../../lib/kafka.ts';
import type { Logger } from '../../lib/logger.ts';
import type { Pool } from '../../lib/postgres.ts';
import type { AvroCodec } from '../../schemas/codec.ts';
import type { PaymentEvent } from '../../schemas/types.ts';
import type { MerchantStore } from '../../api/merchants/store.ts';
import { MERCHANT_EVENT_TYPES, webhookBody } from './payload.ts';
import { enqueue } from './store.ts';

export interface IntakeOptions {
  kafka: Kafka;
  codec: AvroCodec;
  pool: Pool;
  merchants: Pick<MerchantStore, 'webhookTarget'>;
  logger: Logger;
  windowMs: number;
  topic?: string;
  groupId?: string;
  nowMs?: () => number;
}

export async function startWebhookIntake(options: IntakeOptions): Promise<{ stop(): Promise<void> }> {
  const now = options.nowMs ?? Date.now;
  const consumer: Consumer = options.kafka.consumer({ groupId: options.groupId ?? 'webhooks', readUncommitted: false, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic: options.topic ?? 'payments.events', fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (message.value === null) return;
      const event: PaymentEvent = await options.codec.decode('PaymentEvent', message.value);
      if (!MERCHANT_EVENT_TYPES.has(event.type)) return;
      const target = await options.merchants.webhookTarget(event.merchantId);
      const queued = await enqueue(options.pool, { eventId: event.eventId, paymentId: event.paymentId, merchantId: event.merchantId, eventType: event.type, url: target?.url ?? null, body: webhookBody(event), nowMs: now(), windowMs: options.windowMs });
      if (queued) options.logger.debug({ paymentId: event.paymentId, eventId: event.eventId, traceId: event.traceId }, 'webhook queued');
    },
  });
  return { stop: () => consumer.disconnect() };
}
