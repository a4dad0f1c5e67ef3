import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { createKafka } from '../../lib/kafka.ts';
import { createLogger } from '../../lib/logger.ts';
import { startSchemaRegistry } from '../../ops/embedded/schema-registry/index.ts';
import { AvroCodec } from '../../schemas/codec.ts';
import { SAMPLES } from '../../schemas/samples.ts';
import type { ChannelNotification, PaymentEvent } from '../../schemas/types.ts';
import { createChannelAdapter } from '../../connectors/channels/index.ts';
import { startSandboxFleet, type SandboxFleet } from '../../connectors/channels/sandbox/fleet.ts';
import { CHANNEL_IDS, type ChannelAdapter, type ChannelId } from '../../connectors/channels/types.ts';
import { createRefundExecutor } from '../../streams/channel/refunds.ts';
import { Scope, connectedAdmin, connectedConsumer, connectedProducer, newKafka, startTestBroker, uniqueName } from '../helpers/kafkajs.ts';
import { waitFor } from '../helpers/wait.ts';

const logger = createLogger({ level: 'silent' });
let scope: Scope;
let bootstrap: string;
let codec: AvroCodec;
let fleet: SandboxFleet;
let adapters: Record<ChannelId, ChannelAdapter>;

before(async () => {
  scope = new Scope({ after: () => undefined });
  ({ bootstrap } = await startTestBroker(scope, { groupInitialRebalanceDelayMs: 0 }));
  const registry = await startSchemaRegistry({ kafkaBrokers: [bootstrap], host: '127.0.0.1', port: 0, logger, topic: uniqueName('schemas') });
  scope.defer('close registry', () => registry.close());
  codec = new AvroCodec({ registryUrl: registry.url, clientId: 'refunds-test', autoRegister: true });
  fleet = await startSandboxFleet({ notifyUrl: () => 'http://127.0.0.1:9/unused', timeoutMs: 2_000, seed: 5 });
  scope.defer('close fleet', () => fleet.close());
  adapters = Object.fromEntries(CHANNEL_IDS.map((id) => [id, createChannelAdapter(fleet.adapters[id])])) as Record<ChannelId, ChannelAdapter>;
});
after(() => scope.close());

test('refund requests are paid out once at the channel and answered on the notifications topic; an over-refund comes back FAILED', { timeout: 60_000 }, async () => {
  const events = uniqueName('events');
  const notifications = uniqueName('notifications');
  const kafka = newKafka(bootstrap);
  await (await connectedAdmin(scope, kafka)).createTopics({ topics: [events, notifications, `${events}.dlq`].map((topic) => ({ topic, numPartitions: 2 })) });
  const paymentId = uniqueName('pay');
  const charged = await adapters.acq_alpha.createPayment({ paymentId, attemptId: `${paymentId}:1`, amountMinor: 5_000n, currency: 'EUR', instrument: { kind: 'card', token: 'tok_visa_ok', expiryMonth: 12, expiryYear: 2030 } });
  assert.equal(charged.status, 'approved');
  const reference = charged.status === 'approved' ? charged.channelReference : '';
  const base: PaymentEvent = { ...SAMPLES.PaymentEvent, paymentId, eventId: `${paymentId}:7`, sequence: 7, type: 'REFUND_REQUESTED', status: 'REFUND_PENDING', amountMinor: 5_000n, capturedMinor: 5_000n, currency: 'EUR', channelId: 'acq_alpha', attemptId: `${paymentId}:1`, channelReference: reference, refundId: `${paymentId}-r1`, refundAmountMinor: 2_000n };
  const producer = await connectedProducer(scope, kafka);
  const send = async (e: PaymentEvent) => producer.send({ topic: events, messages: [{ key: paymentId, value: await codec.encode(events, 'PaymentEvent', e) }] });
  await send({ ...base, type: 'SUCCEEDED', status: 'SUCCEEDED', eventId: `${paymentId}:6`, sequence: 6, refundId: null, refundAmountMinor: null });
  await send(base);
  await send(base);
  await send({ ...base, eventId: `${paymentId}:8`, sequence: 8, refundId: `${paymentId}-r2`, refundAmountMinor: 9_000n });

  const executor = createRefundExecutor({ name: uniqueName('refunds'), kafka: createKafka({ brokers: [bootstrap], clientId: 'refunds', logger }), codec, adapters, logger, registry: new Registry(), eventsTopic: events, notificationsTopic: notifications, runtime: { group: { sessionTimeoutMs: 6_000, rebalanceTimeoutMs: 5_000, heartbeatIntervalMs: 300, maxWaitTimeMs: 100 } } });
  scope.defer('stop refunds', () => executor.stop());
  await executor.start();

  const seen: ChannelNotification[] = [];
  const reader = await connectedConsumer(scope, kafka, uniqueName('reader'), { readUncommitted: false });
  await reader.subscribe({ topic: notifications, fromBeginning: true });
  await reader.run({ eachMessage: async ({ message }) => void seen.push(await codec.decode('ChannelNotification', message.value ?? Buffer.alloc(0))) });
  await waitFor(() => seen.length >= 3, { timeoutMs: 30_000, message: () => `three refund answers (have ${seen.length})` });

  const byRefund = (id: string) => seen.filter((n) => n.refundId === id);
  assert.deepEqual(byRefund(`${paymentId}-r1`).map((n) => [n.status, n.source, n.notificationId]), [['REFUNDED', 'REFUND_CALL', `refund:${paymentId}-r1`], ['REFUNDED', 'REFUND_CALL', `refund:${paymentId}-r1`]], 'the duplicate request is answered alike (the result processor dedupes by notification id)');
  assert.equal(byRefund(`${paymentId}-r2`)[0]?.status, 'FAILED', 'more than captured: the channel rejects it');
  const refunds = (fleet.sandboxes.acq_alpha.journal.toJSON() as Array<{ kind: string; state: string }>).filter((e) => e.kind === 'refund' && e.state === 'refunded');
  assert.equal(refunds.length, 1, 'paid out once');
});
