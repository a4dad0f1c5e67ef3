import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { createKafka } from '../../lib/kafka.ts';
import { createLogger } from '../../lib/logger.ts';
import { startSchemaRegistry } from '../../ops/embedded/schema-registry/index.ts';
import { AvroCodec } from '../../schemas/codec.ts';
import { SAMPLES } from '../../schemas/samples.ts';
import type { PaymentAssessed, PaymentAttempt, PaymentCommand, PaymentRouted } from '../../schemas/types.ts';
import { createChannelAdapter } from '../../connectors/channels/index.ts';
import { startSandboxFleet, type SandboxFleet } from '../../connectors/channels/sandbox/fleet.ts';
import { CHANNEL_IDS, type ChannelAdapter, type ChannelId } from '../../connectors/channels/types.ts';
import { createResultProcessor } from '../../streams/result/processor.ts';
import { prefixedTopics } from '../../streams/result/testing/topics.ts';
import { startSweeper } from '../../streams/sweeper/sweeper.ts';
import { Scope, connectedAdmin, connectedProducer, newKafka, startTestBroker, uniqueName } from '../helpers/kafkajs.ts';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { waitFor } from '../helpers/wait.ts';

const logger = createLogger({ level: 'silent' });
let scope: Scope;
let bootstrap: string;
let codec: AvroCodec;
let pg: TestPostgres;
let fleet: SandboxFleet;
let adapters: Record<ChannelId, ChannelAdapter>;

before(async () => {
  scope = new Scope({ after: () => undefined });
  ({ bootstrap } = await startTestBroker(scope, { groupInitialRebalanceDelayMs: 0 }));
  const registry = await startSchemaRegistry({ kafkaBrokers: [bootstrap], host: '127.0.0.1', port: 0, logger, topic: uniqueName('schemas') });
  scope.defer('close registry', () => registry.close());
  codec = new AvroCodec({ registryUrl: registry.url, clientId: 'sweeper-test', autoRegister: true });
  pg = await startTestPostgres();
  scope.defer('close postgres', () => pg.close());
  // Wallet orders complete at once and every callback is lost: only a status query can tell.
  fleet = await startSandboxFleet({ notifyUrl: () => 'http://127.0.0.1:9/lost', timeoutMs: 2_000, seed: 3, behaviour: { wallet_a: { callbacks: { lossRate: 1 } }, wallet_b: { completionDelay: { kind: 'fixed', ms: 120_000 } } } });
  scope.defer('close fleet', () => fleet.close());
  adapters = Object.fromEntries(CHANNEL_IDS.map((id) => [id, createChannelAdapter(fleet.adapters[id])])) as Record<ChannelId, ChannelAdapter>;
});
after(() => scope.close());

async function status(paymentId: string): Promise<string | undefined> {
  return (await pg.pool.query<{ status: string }>('SELECT status FROM payments WHERE payment_id = $1', [paymentId])).rows[0]?.status;
}

test('the sweeper repairs a wallet payment whose callback was lost, closes at the channel and expires an unpaid wallet order, expires an unpaid payment and fails one the channel never saw, all through the state machine', { timeout: 90_000 }, async () => {
  const prefix = uniqueName('sweep');
  const topics = prefixedTopics(prefix);
  const kafka = newKafka(bootstrap);
  const admin = await connectedAdmin(scope, kafka);
  await admin.createTopics({ topics: [...Object.values(topics.inputs), ...Object.values(topics.outputs), ...Object.values(topics.inputs).map((t) => `${t}.dlq`)].map((topic) => ({ topic, numPartitions: 2 })) });
  const result = createResultProcessor({ name: uniqueName('result'), kafka: createKafka({ brokers: [bootstrap], clientId: 'sweep-result', logger }), codec, pool: pg.pool, logger, registry: new Registry(), inputs: topics.inputs, outputs: topics.outputs, runtime: { group: { sessionTimeoutMs: 6_000, rebalanceTimeoutMs: 5_000, heartbeatIntervalMs: 300, maxWaitTimeMs: 100 } } });
  scope.defer('stop result', () => result.stop());
  await result.start();
  const producer = await connectedProducer(scope, kafka);
  const now = Date.now();

  const facts = async (paymentId: string, method: 'CARD' | 'WALLET_A', channelId: string, issuedAtMs: number, steps: Array<'routed' | 'assessed'>, attempt?: Partial<PaymentAttempt>) => {
    const command: PaymentCommand = { commandId: `create-${paymentId}`, paymentId, merchantId: 'm-1', issuedAtMs, body: { 'paystream.CreatePayment': { amountMinor: 2_500n, currency: 'EUR', method, merchantReference: `o-${paymentId}`, idempotencyKey: paymentId, customer: { id: 'c', ip: '203.0.113.1', deviceId: 'd' }, customerCountry: null, description: null, notifyUrl: null, metadata: {} } } };
    const routed: PaymentRouted = { ...SAMPLES.PaymentRouted, paymentId, merchantId: 'm-1', amountMinor: 2_500n, currency: 'EUR', method, merchantReference: `o-${paymentId}`, channelId, fallbackChannelIds: [], ruleId: 'r@1', experimentArm: null, routedAtMs: issuedAtMs + 1 };
    const assessed: PaymentAssessed = { ...routed, riskScore: 5, decision: 'APPROVE', reasons: [], assessedAtMs: issuedAtMs + 2 };
    await producer.send({ topic: topics.inputs.commands, messages: [{ key: paymentId, value: await codec.encode(topics.inputs.commands, 'PaymentCommand', command) }] });
    if (steps.includes('routed')) await producer.send({ topic: topics.inputs.routed, messages: [{ key: paymentId, value: await codec.encode(topics.inputs.routed, 'PaymentRouted', routed) }] });
    if (steps.includes('assessed')) await producer.send({ topic: topics.inputs.assessed, messages: [{ key: paymentId, value: await codec.encode(topics.inputs.assessed, 'PaymentAssessed', assessed) }] });
    if (attempt !== undefined) {
      const value: PaymentAttempt = { paymentId, attemptId: `${paymentId}:1`, attemptNumber: 1, channelId, amountMinor: 2_500n, currency: 'EUR', status: 'PENDING', channelReference: null, declineCode: null, errorCode: null, requestedAtMs: issuedAtMs + 3, respondedAtMs: issuedAtMs + 4, ...attempt };
      await producer.send({ topic: topics.inputs.attempts, messages: [{ key: paymentId, value: await codec.encode(topics.inputs.attempts, 'PaymentAttempt', value) }] });
    }
  };

  // 1. A wallet payment the payer completed; the callback never came.
  const wallet = `${prefix}-wallet`;
  const created = await adapters.wallet_a.createPayment({ paymentId: wallet, attemptId: `${wallet}:1`, amountMinor: 2_500n, currency: 'EUR', instrument: { kind: 'wallet' } });
  assert.equal(created.status, 'pending');
  await facts(wallet, 'WALLET_A', 'wallet_a', now, ['routed', 'assessed'], { status: 'PENDING', channelReference: created.status === 'pending' ? created.channelReference : null });
  // 2. A card payment whose attempt was recorded SENT but never reached the acquirer.
  const lost = `${prefix}-card`;
  await facts(lost, 'CARD', 'acq_alpha', now, ['routed', 'assessed'], { status: 'SENT', respondedAtMs: null });
  // 3. A payment created an hour ago and never paid.
  const unpaid = `${prefix}-unpaid`;
  await facts(unpaid, 'CARD', 'acq_alpha', now - 3_600_000, ['routed']);
  // 4. A wallet_b order opened an hour ago that the payer never paid: still open at the channel.
  const open = `${prefix}-open`;
  const opened = await adapters.wallet_b.createPayment({ paymentId: open, attemptId: `${open}:1`, amountMinor: 2_500n, currency: 'EUR', instrument: { kind: 'wallet' } });
  assert.equal(opened.status, 'pending');
  await facts(open, 'WALLET_A', 'wallet_b', now - 3_600_000, ['routed', 'assessed'], { status: 'PENDING', channelReference: opened.status === 'pending' ? opened.channelReference : null });
  await waitFor(async () => (await status(wallet)) === 'PROCESSING' && (await status(lost)) === 'SUBMITTED' && (await status(unpaid)) === 'ROUTED' && (await status(open)) === 'PROCESSING', { timeoutMs: 30_000, message: () => 'the four payments in the read model' });
  await waitFor(() => fleet.sandboxes.wallet_a.journal.payment(`${wallet}:1`)?.state === 'approved', { timeoutMs: 10_000, message: () => 'the wallet payment to complete at the channel' });

  const sweeper = await startSweeper({ kafka, codec, pool: pg.pool, adapters, logger, expiryMs: 30 * 60_000, topic: topics.inputs.repairs, schedule: '0 0 1 1 *', deadlinesMs: { wallet_a: 0, acq_alpha: 0 } });
  scope.defer('stop sweeper', () => sweeper.stop());
  const swept = await sweeper.runOnce();
  assert.equal(swept.ran, true);
  assert.deepEqual(swept.repairs.map((r) => [r.paymentId, r.kind, r.channelStatus]).sort(), [[lost, 'CHANNEL_STATUS', 'NOT_FOUND'], [open, 'EXPIRE', 'PENDING'], [unpaid, 'EXPIRE', null], [wallet, 'CHANNEL_STATUS', 'APPROVED']].sort());

  await waitFor(async () => (await status(wallet)) === 'SUCCEEDED' && (await status(lost)) === 'FAILED' && (await status(unpaid)) === 'EXPIRED' && (await status(open)) === 'EXPIRED', { timeoutMs: 30_000, message: () => 'the repairs applied by the result processor' });
  const closed = fleet.sandboxes.wallet_b.journal.payment(`${open}:1`);
  assert.deepEqual([closed?.state, closed?.declineReason], ['declined', 'merchant_closed'], 'the expired order was closed at the channel: it can no longer be paid');
  // Closing an order that was paid meanwhile answers with the payment instead.
  const paidClose = await adapters.wallet_a.cancelPayment?.({ attemptId: `${wallet}:1` });
  assert.equal(paidClose?.status, 'approved');
  const history = await pg.pool.query<{ event_type: string; input_id: string }>('SELECT event_type, input_id FROM payment_status_history WHERE payment_id = $1 ORDER BY sequence DESC LIMIT 1', [wallet]);
  assert.equal(history.rows[0]?.event_type, 'SUCCEEDED');
  assert.match(history.rows[0]?.input_id ?? '', /^repair:/, 'the success came from the sweeper');
  const charged = fleet.sandboxes.wallet_a.journal.charged().filter((e) => e.merchantRef === wallet);
  assert.equal(charged.length, 1, 'queried, not charged again');

  // A second instance at the same moment does not sweep in parallel; a sweep after the repairs finds nothing.
  const again = await sweeper.runOnce();
  assert.equal(again.repairs.length, 0);
});
