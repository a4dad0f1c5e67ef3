import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { AvroCodec } from '../../schemas/codec.ts';
import { SAMPLES } from '../../schemas/samples.ts';
import type { ChannelNotification, PaymentAssessed, PaymentAttempt, PaymentCommand, PaymentEvent, PaymentRouted } from '../../schemas/types.ts';
import { seededRandom } from '../../streams/runtime/testing/seeded-random.ts';
import { prefixedTopics } from '../../streams/result/testing/topics.ts';
import { Scope, connectedAdmin, connectedConsumer, connectedProducer, newKafka, uniqueName } from '../helpers/kafkajs.ts';
import { startBrokerWithRegistry } from '../helpers/registry.ts';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { killed, startChild } from '../helpers/child.ts';
import { waitFor } from '../helpers/wait.ts';

const CHILD = fileURLToPath(new URL('../../streams/result/testing/result-child.ts', import.meta.url));
const PAYMENTS = 300;
const KILLS = 3;
const T0 = 1_760_000_000_000;

let scope: Scope;
let bootstrap: string;
let registryUrl: string;
let pg: TestPostgres;

before(async () => {
  scope = new Scope({ after: () => undefined });
  ({ bootstrap, registryUrl } = await startBrokerWithRegistry(scope));
  pg = await startTestPostgres();
  scope.defer('close postgres', () => pg.close());
});
after(() => scope.close());

function start(args: string[], log: string[]) {
  return startChild(CHILD, args, { env: { RESULT_DATABASE_URL: pg.url.reveal() }, readyMessage: 'result running', log });
}

type Kind = 'card' | 'wallet' | 'declined';
const kindOf = (i: number): Kind => (['card', 'card', 'wallet', 'declined'] as const)[i % 4] ?? 'card';
const EXPECTED: Record<Kind, string> = { card: 'SUCCEEDED', wallet: 'SUCCEEDED', declined: 'FAILED' };

test('the result processor SIGKILLed three times while applying 300 payments loses no transition and emits no duplicate event', { timeout: 180_000 }, async (t) => {
  const prefix = uniqueName('res');
  const topics = prefixedTopics(prefix);
  const kafka = newKafka(bootstrap);
  const admin = await connectedAdmin(scope, kafka);
  await admin.createTopics({ topics: [...Object.values(topics.inputs), ...Object.values(topics.outputs), ...Object.values(topics.inputs).map((x) => `${x}.dlq`)].map((topic) => ({ topic, numPartitions: 3 })) });
  const codec = new AvroCodec({ registryUrl, clientId: 'result-test', autoRegister: true });
  const producer = await connectedProducer(scope, kafka);

  // Facts of every payment, sent topic by topic in an order that puts some attempts before their commands.
  const sends: Array<{ topic: string; key: string; value: Promise<Buffer> }> = [];
  const random = seededRandom(Number(process.env.RESULT_KILL_SEED ?? 7));
  for (let i = 0; i < PAYMENTS; i += 1) {
    const paymentId = `${prefix}-p${i}`;
    const kind = kindOf(i);
    const method = kind === 'wallet' ? 'WALLET_A' : 'CARD';
    const channelId = kind === 'wallet' ? 'wallet_a' : 'acq_alpha';
    const command: PaymentCommand = { commandId: `create-${paymentId}`, paymentId, merchantId: 'm-1', issuedAtMs: T0 + i, body: { 'paystream.CreatePayment': { amountMinor: 1_000n + BigInt(i), currency: 'EUR', method, merchantReference: `o-${i}`, idempotencyKey: `k-${i}`, customer: { id: 'c', ip: '203.0.113.1', deviceId: 'd' }, customerCountry: null, description: null, notifyUrl: null, metadata: {} } } };
    const routed: PaymentRouted = { ...SAMPLES.PaymentRouted, paymentId, merchantId: 'm-1', amountMinor: 1_000n + BigInt(i), currency: 'EUR', method, merchantReference: `o-${i}`, channelId, fallbackChannelIds: [], ruleId: 'r@1', experimentArm: null, routedAtMs: T0 + i + 1 };
    const assessed: PaymentAssessed = { ...routed, riskScore: 10, decision: 'APPROVE', reasons: [], assessedAtMs: T0 + i + 2 };
    const attempt: PaymentAttempt = { paymentId, attemptId: `${paymentId}:1`, attemptNumber: 1, channelId, amountMinor: 1_000n + BigInt(i), currency: 'EUR', status: kind === 'card' ? 'APPROVED' : kind === 'wallet' ? 'PENDING' : 'DECLINED', channelReference: `ref-${i}`, declineCode: kind === 'declined' ? 'do_not_honour' : null, errorCode: null, requestedAtMs: T0 + i + 3, respondedAtMs: T0 + i + 50 };
    const facts = [
      { topic: topics.inputs.commands, value: codec.encode(topics.inputs.commands, 'PaymentCommand', command) },
      { topic: topics.inputs.routed, value: codec.encode(topics.inputs.routed, 'PaymentRouted', routed) },
      { topic: topics.inputs.assessed, value: codec.encode(topics.inputs.assessed, 'PaymentAssessed', assessed) },
      { topic: topics.inputs.attempts, value: codec.encode(topics.inputs.attempts, 'PaymentAttempt', attempt) },
    ];
    if (kind === 'wallet') {
      const callback: ChannelNotification = { notificationId: `n-${i}`, channelId, paymentId, attemptId: `${paymentId}:1`, channelReference: `ref-${i}`, status: 'APPROVED', amountMinor: 1_000n + BigInt(i), currency: 'EUR', refundId: null, source: 'CALLBACK', occurredAtMs: T0 + i + 500, receivedAtMs: T0 + i + 501 };
      // The channel repeats its callback: the same notification id twice.
      facts.push({ topic: topics.inputs.notifications, value: codec.encode(topics.inputs.notifications, 'ChannelNotification', callback) });
      facts.push({ topic: topics.inputs.notifications, value: codec.encode(topics.inputs.notifications, 'ChannelNotification', callback) });
    }
    if (random() < 0.2) facts.reverse();
    for (const f of facts) sends.push({ ...f, key: paymentId });
  }
  for (let i = 0; i < sends.length; i += 200) {
    const batch = await Promise.all(sends.slice(i, i + 200).map(async (s) => ({ topic: s.topic, key: s.key, value: await s.value })));
    await producer.sendBatch({ topicMessages: [...new Set(batch.map((b) => b.topic))].map((topic) => ({ topic, messages: batch.filter((b) => b.topic === topic).map((b) => ({ key: b.key, value: b.value })) })) });
  }

  // Every event the processors commit, read as downstream systems read them.
  const events: PaymentEvent[] = [];
  const reader = await connectedConsumer(scope, kafka, uniqueName('events-reader'), { readUncommitted: false });
  await reader.subscribe({ topic: topics.outputs.events, fromBeginning: true });
  await reader.run({ eachMessage: async ({ message }) => void events.push(await codec.decode('PaymentEvent', message.value ?? Buffer.alloc(0))) });

  const log: string[] = [];
  const name = uniqueName('result');
  const args = ['--bootstrap', bootstrap, '--registry', registryUrl, '--prefix', prefix, '--name', name];
  let current = start(args, log);
  t.after(() => killed(current.child));
  await current.running;
  for (let k = 1; k <= KILLS; k += 1) {
    const at = Math.floor((k * PAYMENTS * 4) / (KILLS + 2));
    await waitFor(() => events.length >= at, { timeoutMs: 60_000, message: () => `${at} events before kill ${k} (have ${events.length})` });
    await killed(current.child);
    current = start(args, log);
    await current.running;
  }
  const finals = async () => (await pg.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM payments WHERE payment_id LIKE $1 AND status IN ('SUCCEEDED', 'FAILED')", [`${prefix}-%`])).rows[0]?.n ?? 0;
  let finalCount = 0;
  await waitFor(async () => (finalCount = await finals()) >= PAYMENTS, { timeoutMs: 90_000, message: () => `${PAYMENTS} payments final in the read model (have ${finalCount})` });
  const { rows } = await pg.pool.query<{ payment_id: string; status: string; version: number }>('SELECT payment_id, status, version FROM payments WHERE payment_id LIKE $1', [`${prefix}-%`]);
  const expectedEvents = rows.reduce((sum, r) => sum + r.version, 0);
  await waitFor(() => events.length >= expectedEvents, { timeoutMs: 30_000, message: () => `${expectedEvents} committed events (have ${events.length})` });

  const byPayment = new Map<string, number[]>();
  for (const e of events) byPayment.set(e.paymentId, [...(byPayment.get(e.paymentId) ?? []), e.sequence]);
  for (const row of rows) {
    const i = Number(row.payment_id.slice(`${prefix}-p`.length));
    assert.equal(row.status, EXPECTED[kindOf(i)], `${row.payment_id}`);
    const sequences = (byPayment.get(row.payment_id) ?? []).sort((a, b) => a - b);
    assert.deepEqual(sequences, Array.from({ length: row.version }, (_, n) => n + 1), `${row.payment_id}: every event once, none missing`);
  }
  assert.equal(events.length, expectedEvents, 'no duplicate and no extra event on the topic');
  await reader.disconnect();
});
