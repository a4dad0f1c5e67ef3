import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { createKafka } from '../../lib/kafka.ts';
import { createLogger } from '../../lib/logger.ts';
import { createRedis, type Redis } from '../../lib/redis.ts';
import { startRedis } from '../../ops/embedded/redis.ts';
import type { AvroCodec } from '../../schemas/codec.ts';
import { SAMPLES } from '../../schemas/samples.ts';
import type { PaymentAssessed, PaymentRouted } from '../../schemas/types.ts';
import { startRisk } from '../../streams/risk/role.ts';
import { ReviewStore, decideReview } from '../../streams/risk/reviews.ts';
import { DEFAULT_RULES, type RiskRules } from '../../streams/risk/rules.ts';
import { VelocityStore } from '../../streams/risk/velocity.ts';
import { Scope, connectedAdmin, connectedConsumer, connectedProducer, newKafka, uniqueName } from '../helpers/kafkajs.ts';
import { startBrokerWithRegistry } from '../helpers/registry.ts';
import { waitFor } from '../helpers/wait.ts';

const logger = createLogger({ level: 'silent' });
const T0 = 1_760_000_000_000;
let scope: Scope;
let bootstrap: string;
let codec: AvroCodec;
let redis: Redis;
let redisServer: Awaited<ReturnType<typeof startRedis>>;
let dir: string;

before(async () => {
  scope = new Scope({ after: () => undefined });
  ({ bootstrap, codec } = await startBrokerWithRegistry(scope));
  dir = mkdtempSync(join(tmpdir(), 'paystream-risk-'));
  redisServer = await startRedis({ dataDir: join(dir, 'redis'), host: '127.0.0.1', logger });
  redis = createRedis({ url: redisServer.url, logger, connectionName: 'risk-test' });
  await waitFor(() => redis.status === 'ready', { timeoutMs: 10_000, message: () => `Redis client ready (${redis.status})` });
});
after(async () => {
  redis.disconnect();
  await redisServer.stop().catch(() => undefined);
  await scope.close();
  rmSync(dir, { recursive: true, force: true });
});

const payment = (paymentId: string, atMs: number, extra: Partial<{ amountMinor: number; customerId: string; deviceId: string; ip: string; currency: string }> = {}) => ({ paymentId, atMs, amountMinor: 1_000, currency: 'EUR', customerId: 'cust-w', deviceId: 'dev-w', ip: '198.51.100.1', ...extra });

test('sliding windows across their edges: a payment exactly one window old no longer counts, one a millisecond younger does', async () => {
  const rules: RiskRules = { ...DEFAULT_RULES, velocity: { ...DEFAULT_RULES.velocity, customer: { windowS: 10, countMax: 3 } } };
  const store = new VelocityStore(redis, rules, uniqueName('w'));
  assert.equal((await store.facts(payment('w1', T0))).customerCount, 1);
  assert.equal((await store.facts(payment('w2', T0 + 1))).customerCount, 2);
  assert.equal((await store.facts(payment('w3', T0 + 9_999))).customerCount, 3, 'w1 is 9,999 ms old: inside');
  assert.equal((await store.facts(payment('w4', T0 + 10_000))).customerCount, 3, 'w1 is exactly 10 s old: out');
  assert.equal((await store.facts(payment('w5', T0 + 10_001))).customerCount, 3, 'w2 out, w5 in');
  const again = await store.facts(payment('w3', T0 + 9_999));
  assert.equal(again.customerCount, 3, 'handling a payment again returns its first facts: nothing counts twice');
});

test('the daily total, history, "just under" count and device novelty per customer', async () => {
  const store = new VelocityStore(redis, DEFAULT_RULES, uniqueName('d'));
  const reporting = DEFAULT_RULES.thresholds.DEFAULT?.reportingMinor ?? 0;
  const first = await store.facts(payment('d1', T0, { amountMinor: reporting - 10 }));
  assert.equal(first.newDevice, true);
  assert.equal(first.justUnderCount, 1);
  assert.equal(first.historyCount, 0);
  const second = await store.facts(payment('d2', T0 + 1_000, { amountMinor: reporting - 20 }));
  assert.equal(second.newDevice, false);
  assert.equal(second.historyCount, 1);
  assert.equal(second.customerDailyMinor, 2 * reporting - 30);
  const nextDay = await store.facts(payment('d3', T0 + 86_400_000 + 500, { amountMinor: 500 }));
  assert.equal(nextDay.customerDailyMinor, 500 + reporting - 20, 'd1 left the 24 h window, d2 has not');
  assert.equal(nextDay.justUnderCount, 1);
});

function routed(paymentId: string, extra: Partial<PaymentRouted> = {}): PaymentRouted {
  return { ...SAMPLES.PaymentRouted, paymentId, amountMinor: 1_000n, currency: 'EUR', method: 'CARD', channelId: 'acq_alpha', fallbackChannelIds: ['acq_beta'], outcome: 'ROUTED', customerId: `c-${paymentId}`, customerIp: '198.51.100.7', deviceId: `d-${paymentId}`, routedAtMs: Date.now(), ...extra };
}

test('the processor on the broker: approves, holds for review, declines; a review is approved once by an operator and another expires', { timeout: 60_000 }, async () => {
  const input = uniqueName('routed');
  const output = uniqueName('assessed');
  const blocklistTopic = uniqueName('blocklists');
  const kafka = newKafka(bootstrap);
  await (await connectedAdmin(scope, kafka)).createTopics({ topics: [...[input, output, `${input}.dlq`].map((topic) => ({ topic, numPartitions: 2 })), { topic: blocklistTopic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] });
  const block = async (kind: 'CUSTOMER' | 'DEVICE' | 'IP', value: string, blocked: boolean) => {
    const p = await connectedProducer(scope, kafka);
    await p.send({ topic: blocklistTopic, messages: [{ key: `${kind}:${value}`, value: await codec.encode(blocklistTopic, 'BlocklistEntry', { kind, value, blocked, reason: 'test', updatedBy: 'test', updatedAtMs: Date.now() }) }] });
  };
  // Written before the processor starts: it must have read it before deciding anything.
  await block('DEVICE', 'd-stolen', true);
  const reviewTtl: RiskRules = { ...DEFAULT_RULES, reviewTtlS: 1, blocklist: { customers: ['c-blocked'], devices: [], ips: [] } };
  const risk = await startRisk({ name: uniqueName('risk'), kafka: createKafka({ brokers: [bootstrap], clientId: 'risk', logger }), codec, redis, rules: reviewTtl, logger, registry: new Registry(), routedTopic: input, assessedTopic: output, blocklistTopic, pollMs: 60_000, runtime: { group: { sessionTimeoutMs: 6_000, rebalanceTimeoutMs: 5_000, heartbeatIntervalMs: 300, maxWaitTimeMs: 100 } } });
  scope.defer('stop risk', () => risk.stop());

  const producer = await connectedProducer(scope, kafka);
  const big = BigInt(DEFAULT_RULES.thresholds.DEFAULT?.reportingMinor ?? 0);
  const records = [routed('ok'), routed('held', { amountMinor: big }), routed('held2', { amountMinor: big }), routed('blocked', { customerId: 'c-blocked' }), routed('stolen', { deviceId: 'd-stolen' }), routed('unrouted', { outcome: 'NO_ROUTE', channelId: '' })];
  await producer.send({ topic: input, messages: await Promise.all(records.map(async (r) => ({ key: r.paymentId, value: await codec.encode(input, 'PaymentRouted', r) }))) });

  const seen: PaymentAssessed[] = [];
  const reader = await connectedConsumer(scope, kafka, uniqueName('reader'), { readUncommitted: false });
  await reader.subscribe({ topic: output, fromBeginning: true });
  await reader.run({ eachMessage: async ({ message }) => void seen.push(await codec.decode('PaymentAssessed', message.value ?? Buffer.alloc(0))) });
  await waitFor(() => seen.length >= 5, { timeoutMs: 30_000, message: () => `five decisions (have ${seen.length})` });
  const by = (id: string) => seen.filter((a) => a.paymentId === id).map((a) => a.decision);
  assert.deepEqual(by('ok'), ['APPROVE']);
  assert.deepEqual(by('held'), ['REVIEW']);
  assert.deepEqual(by('blocked'), ['DECLINE']);
  assert.deepEqual(by('unrouted'), [], 'a payment without a route is not assessed');
  assert.deepEqual(by('stolen'), ['DECLINE'], 'the blocklist topic was read before the first decision');
  assert.ok(seen.find((a) => a.paymentId === 'stolen')?.reasons.includes('blocklist_device'));

  // A block written while the processor runs applies without a restart; an unblock lifts it.
  // One partition, read in order: once the IP block is seen applied, the unblock before it is too.
  await block('DEVICE', 'd-stolen', false);
  await block('IP', '198.51.100.66', true);
  await waitFor(async () => {
    const probe = routed(`probe-${seen.length}`, { customerIp: '198.51.100.66' });
    await producer.send({ topic: input, messages: [{ key: probe.paymentId, value: await codec.encode(input, 'PaymentRouted', probe) }] });
    await waitFor(() => by(probe.paymentId).length === 1, { timeoutMs: 10_000, message: () => 'the probe decision' });
    return by(probe.paymentId)[0] === 'DECLINE';
  }, { timeoutMs: 20_000, message: () => 'the new IP block to apply' });
  const after = routed('recovered', { deviceId: 'd-stolen' });
  await producer.send({ topic: input, messages: [{ key: after.paymentId, value: await codec.encode(input, 'PaymentRouted', after) }] });
  await waitFor(() => by('recovered').length === 1, { timeoutMs: 10_000, message: () => 'the unblocked device decision' });
  assert.deepEqual(by('recovered'), ['APPROVE']);

  const store = new ReviewStore(redis);
  const cliProducer = await connectedProducer(scope, kafka);
  await decideReview({ store, producer: cliProducer, codec, topic: output, paymentId: 'held', decision: 'APPROVE', reason: 'operator_approved', nowMs: Date.now() });
  await assert.rejects(decideReview({ store, producer: cliProducer, codec, topic: output, paymentId: 'held', decision: 'DECLINE', reason: 'operator_rejected', nowMs: Date.now() }), /not waiting for review/);
  await waitFor(async () => (await store.due(Date.now())).includes('held2'), { timeoutMs: 10_000, message: () => 'held2 to pass its review deadline' });
  assert.equal(await risk.expireDue(), 1);
  await waitFor(() => by('held').length === 2 && by('held2').length === 2, { timeoutMs: 15_000, message: () => JSON.stringify(seen.map((a) => [a.paymentId, a.decision])) });
  assert.deepEqual(by('held'), ['REVIEW', 'APPROVE']);
  assert.deepEqual(by('held2'), ['REVIEW', 'DECLINE']);
  assert.equal(seen.find((a) => a.paymentId === 'held2' && a.decision === 'DECLINE')?.reasons[0], 'review_expired');
});

test('Redis stopped: fail-closed declines with risk_unavailable; fail-open approves under its amount and declines above', { timeout: 60_000 }, async () => {
  const { createRiskProcessor, failurePolicy } = await import('../../streams/risk/processor.ts');
  const open: RiskRules = { ...DEFAULT_RULES, redisDown: { mode: 'open', failOpenMaxMinor: 5_000 } };
  assert.deepEqual(failurePolicy(open, 5_000).decision, 'APPROVE');
  assert.deepEqual(failurePolicy(open, 5_001).decision, 'DECLINE');
  const input = uniqueName('routed');
  const output = uniqueName('assessed');
  const kafka = newKafka(bootstrap);
  await (await connectedAdmin(scope, kafka)).createTopics({ topics: [input, output, `${input}.dlq`].map((topic) => ({ topic, numPartitions: 1 })) });
  await redisServer.stop();
  const start = (name: string, rules: RiskRules, topic: string) => {
    const p = createRiskProcessor({ name: uniqueName(name), kafka: createKafka({ brokers: [bootstrap], clientId: name, logger }), codec, redis, rules, logger, registry: new Registry(), inputTopic: topic, outputTopic: output, runtime: { group: { sessionTimeoutMs: 6_000, rebalanceTimeoutMs: 5_000, heartbeatIntervalMs: 300, maxWaitTimeMs: 100 } } });
    scope.defer(`stop ${name}`, () => p.stop());
    return p.start();
  };
  const openInput = uniqueName('routed-open');
  await (await connectedAdmin(scope, kafka)).createTopics({ topics: [openInput, `${openInput}.dlq`].map((topic) => ({ topic, numPartitions: 1 })) });
  await start('closed', DEFAULT_RULES, input);
  await start('open', open, openInput);
  const producer = await connectedProducer(scope, kafka);
  await producer.send({ topic: input, messages: [{ key: 'x1', value: await codec.encode(input, 'PaymentRouted', routed('x1')) }] });
  await producer.send({ topic: openInput, messages: [
    { key: 'x2', value: await codec.encode(openInput, 'PaymentRouted', routed('x2', { amountMinor: 4_000n })) },
    { key: 'x3', value: await codec.encode(openInput, 'PaymentRouted', routed('x3', { amountMinor: 9_000n })) },
  ] });
  const seen: PaymentAssessed[] = [];
  const reader = await connectedConsumer(scope, kafka, uniqueName('reader'), { readUncommitted: false });
  await reader.subscribe({ topic: output, fromBeginning: true });
  await reader.run({ eachMessage: async ({ message }) => void seen.push(await codec.decode('PaymentAssessed', message.value ?? Buffer.alloc(0))) });
  await waitFor(() => seen.length >= 3, { timeoutMs: 30_000, message: () => `three decisions (have ${seen.length})` });
  const of = (id: string) => seen.find((a) => a.paymentId === id);
  assert.deepEqual([of('x1')?.decision, of('x1')?.reasons], ['DECLINE', ['risk_unavailable']]);
  assert.deepEqual([of('x2')?.decision, of('x2')?.reasons], ['APPROVE', ['risk_unavailable_fail_open']]);
  assert.equal(of('x3')?.decision, 'DECLINE');
});
