import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { createKafka, type Kafka } from '../../lib/kafka.ts';
import { createLogger } from '../../lib/logger.ts';
import type { AvroCodec } from '../../schemas/codec.ts';
import type { PaymentCommand, PaymentRouted, RoutingRule } from '../../schemas/types.ts';
import { Scope, connectedAdmin, connectedConsumer, connectedProducer, newKafka, uniqueName } from '../../test/helpers/kafkajs.ts';
import { startBrokerWithRegistry } from '../../test/helpers/registry.ts';
import { waitFor } from '../../test/helpers/wait.ts';
import { createRouter, type Router, type RouterTopics } from './processor.ts';
import { buildAdmin } from './admin.ts';
import { writeRules } from './store.ts';
import { testArm, testCreate, testRule } from './testing.ts';

const logger = createLogger({ level: 'silent' });
let scope: Scope;
let bootstrap: string;
let codec: AvroCodec;
let kafka: Kafka;

// One broker and registry for the file; each test runs its own router on its own topics.
after(() => scope.close());

before(async () => {
  scope = new Scope({ after: () => undefined });
  ({ bootstrap, codec } = await startBrokerWithRegistry(scope));
  kafka = newKafka(bootstrap);
});

interface Lane {
  topics: RouterTopics;
  router: Router;
  routed: PaymentRouted[];
  send(commands: PaymentCommand[]): Promise<void>;
}

function create(paymentId: string, over: Parameters<typeof testCreate>[0] = {}): PaymentCommand {
  return { commandId: `c-${paymentId}`, paymentId, merchantId: 'm-1', issuedAtMs: Date.now(), body: { 'paystream.CreatePayment': testCreate(over) } };
}

async function lane(name: string, seed: { rules?: RoutingRule[]; seedDefaults?: boolean }): Promise<Lane> {
  const topics: RouterTopics = { commands: uniqueName(`${name}.commands`), routed: uniqueName(`${name}.routed`), rules: uniqueName(`${name}.rules`), switches: uniqueName(`${name}.switches`), metrics: uniqueName(`${name}.metrics`), health: null };
  const admin = await connectedAdmin(scope, kafka);
  await admin.createTopics({ topics: [
    ...[topics.commands, topics.routed, `${topics.commands}.dlq`, topics.metrics].map((topic) => ({ topic, numPartitions: 2 })),
    ...[topics.rules, topics.switches].map((topic) => ({ topic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] })),
  ] });
  if (seed.rules !== undefined) await writeRules(kafka, codec, topics.rules, seed.rules);
  const router = createRouter({
    name: uniqueName(name), kafka: createKafka({ brokers: [bootstrap], clientId: name, logger }), codec, logger, registry: new Registry(), topics,
    seedDefaults: seed.seedDefaults === true,
    runtime: { group: { sessionTimeoutMs: 6_000, rebalanceTimeoutMs: 5_000, heartbeatIntervalMs: 300, maxWaitTimeMs: 100 } },
  });
  scope.defer(`stop ${name}`, () => router.stop());
  await router.start();
  const routed: PaymentRouted[] = [];
  const reader = await connectedConsumer(scope, kafka, uniqueName('reader'), { readUncommitted: false });
  await reader.subscribe({ topic: topics.routed, fromBeginning: true });
  await reader.run({ eachMessage: async ({ message }) => {
    if (message.value !== null) routed.push(await codec.decode('PaymentRouted', message.value));
  } });
  const producer = await connectedProducer(scope, kafka);
  return {
    topics, router, routed,
    async send(commands) {
      const messages = await Promise.all(commands.map(async (c) => ({ key: c.paymentId, value: await codec.encode(topics.commands, 'PaymentCommand', c) })));
      await producer.send({ topic: topics.commands, messages });
    },
  };
}

test('the router seeds the default rules into an empty topic and routes cards, wallets and bank payments over the broker', async () => {
  const l = await lane('defaults', { seedDefaults: true });
  await l.send([
    create('p-card'), create('p-wa', { method: 'WALLET_A' }), create('p-wb', { method: 'WALLET_B' }), create('p-bank', { method: 'BANK' }),
    { commandId: 'c-cancel', paymentId: 'p-card', merchantId: 'm-1', issuedAtMs: Date.now(), body: { 'paystream.CancelPayment': { reason: 'changed mind' } } },
  ]);
  await waitFor(() => l.routed.length >= 4, { timeoutMs: 20_000, message: () => `4 routed (have ${l.routed.length})` });
  const by = new Map(l.routed.map((r) => [r.paymentId, r]));
  assert.ok(['acq_alpha', 'acq_beta'].includes(by.get('p-card')?.channelId ?? ''));
  assert.equal(by.get('p-card')?.ruleId, 'default-card@1');
  assert.equal(by.get('p-card')?.customerId, 'cust-1');
  assert.equal(by.get('p-wa')?.channelId, 'wallet_a');
  assert.equal(by.get('p-wb')?.channelId, 'wallet_b');
  assert.equal(by.get('p-bank')?.outcome, 'NO_ROUTE');
  assert.equal(by.get('p-bank')?.failureCode, 'no_route');
  assert.equal(l.routed.length, 4, 'the cancel command routes nothing');
  assert.deepEqual(l.router.rules().rules.map((r) => r.ruleId).sort(), ['default-card', 'default-wallet-a', 'default-wallet-b']);
});

test('a router restarted on a rule topic that is not empty keeps the written rules and seeds nothing', async () => {
  const only = testRule({ ruleId: 'only', version: 4 });
  const l = await lane('restart', { rules: [only], seedDefaults: true });
  assert.deepEqual(l.router.rules().rules.map((r) => `${r.ruleId}@${r.version}`), ['only@4']);
  await l.router.stop();
  const again = createRouter({ name: uniqueName('restart'), kafka, codec, logger, registry: new Registry(), topics: l.topics, seedDefaults: true });
  scope.defer('stop second router', () => again.stop());
  await again.start();
  assert.deepEqual(again.rules().rules.map((r) => `${r.ruleId}@${r.version}`), ['only@4']);
});

test('rules hot-reload under traffic without a restart, and no record is routed by a half-read rule set', async () => {
  // Generation g writes rules a@g and b@g together. On odd g, a matches everything first (acq_alpha);
  // on even g, a is disabled and b routes (acq_beta). A torn read (a@even with b@odd) would show as b@odd.
  const gen = (g: number): RoutingRule[] => [
    testRule({ ruleId: 'a', version: g, priority: 1, enabled: g % 2 === 1, arms: [testArm({ channelId: 'acq_alpha', fallbackChannelIds: [] })] }),
    testRule({ ruleId: 'b', version: g, priority: 2, arms: [testArm({ channelId: 'acq_beta', fallbackChannelIds: [] })] }),
  ];
  const l = await lane('reload', { rules: gen(1) });
  const generations = 12;
  let sent = 0;
  let stop = false;
  const traffic = (async () => {
    while (!stop) {
      await l.send(Array.from({ length: 20 }, () => create(`r-${(sent += 1)}`)));
    }
  })();
  for (let g = 2; g <= generations; g += 1) {
    await writeRules(kafka, codec, l.topics.rules, gen(g));
    await waitFor(() => l.router.rules().get('b')?.version === g, { timeoutMs: 10_000, message: `generation ${g} in use` });
    const before = l.routed.length;
    await waitFor(() => l.routed.length > before + 20, { timeoutMs: 10_000, message: 'traffic routed under this generation' });
  }
  stop = true;
  await traffic;
  await waitFor(() => l.routed.length >= sent, { timeoutMs: 20_000, message: () => `${sent} routed (have ${l.routed.length})` });
  const versions = new Set<string>();
  for (const r of l.routed) {
    assert.equal(r.outcome, 'ROUTED');
    const [ruleId, v] = (r.ruleId ?? '').split('@');
    const odd = Number(v) % 2 === 1;
    assert.equal(ruleId === 'a', odd, `record ${r.paymentId} routed by ${r.ruleId}: a torn rule set`);
    assert.equal(r.channelId, odd ? 'acq_alpha' : 'acq_beta');
    versions.add(r.ruleId ?? '');
  }
  assert.ok(versions.size >= generations - 1, `records under most generations (${[...versions].join(', ')})`);
  assert.equal(new Set(l.routed.map((r) => r.paymentId)).size, sent, 'each payment routed once');
});

test('a kill switch written to the switch topic reroutes the next payments to the fallback without a restart', async () => {
  const l = await lane('switch', { rules: [testRule()] });
  await l.send([create('s-1')]);
  await waitFor(() => l.routed.length === 1, { timeoutMs: 10_000, message: 'first routed' });
  assert.equal(l.routed[0]?.channelId, 'acq_alpha');
  const producer = await connectedProducer(scope, kafka);
  await producer.send({ topic: l.topics.switches, messages: [{ key: 'acq_alpha', value: await codec.encode(l.topics.switches, 'ChannelSwitch', { channelId: 'acq_alpha', enabled: false, reason: 'maintenance', updatedBy: 'ops', updatedAtMs: Date.now() }) }] });
  await waitFor(() => !l.router.live.switches.enabled('acq_alpha'), { timeoutMs: 10_000, message: 'switch applied' });
  await l.send([create('s-2')]);
  await waitFor(() => l.routed.length === 2, { timeoutMs: 10_000, message: 'second routed' });
  assert.equal(l.routed[1]?.channelId, 'acq_beta');
  assert.equal(l.routed[1]?.scores.find((s) => s.channelId === 'acq_alpha')?.note, 'switched_off');
});

test('an invalid rule written past the validation is skipped and the held version keeps routing', async () => {
  const l = await lane('invalid', { rules: [testRule({ version: 2 })] });
  const producer = await connectedProducer(scope, kafka);
  const bad = testRule({ version: 3, arms: [testArm({ weightPercent: 50 })] });
  await producer.send({ topic: l.topics.rules, messages: [{ key: 'r1', value: await codec.encode(l.topics.rules, 'RoutingRule', bad) }, { key: 'r2', value: await codec.encode(l.topics.rules, 'RoutingRule', testRule({ ruleId: 'r2', priority: 99 })) }] });
  await waitFor(() => l.router.rules().get('r2') !== undefined, { timeoutMs: 10_000, message: 'r2 applied' });
  assert.equal(l.router.rules().get('r1')?.version, 2);
});

test('the admin API validates rules with clear errors, bumps versions, and every router reloads what it writes', async () => {
  const l = await lane('admin', { rules: [testRule()] });
  const app = buildAdmin({ host: '127.0.0.1', port: 0, kafka, codec, rulesTopic: l.topics.rules, rules: () => l.router.rules(), logger });
  scope.defer('close admin', () => app.close());
  const bad = await app.inject({ method: 'PUT', url: '/rules/cheap', payload: { priority: 5, currency: 'eur', arms: [{ channelId: 'acq_gamma', weightPercent: 90 }], colour: 'red' } });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json<{ code: string }>().code, 'rule_invalid');
  assert.deepEqual(bad.json<{ issues: string[] }>().issues, ['colour: unknown field']);
  const bad2 = await app.inject({ method: 'PUT', url: '/rules/cheap', payload: { priority: 5, currency: 'eur', arms: [{ channelId: 'acq_gamma', weightPercent: 90 }] } });
  const issues = bad2.json<{ issues: string[] }>().issues;
  assert.ok(issues.some((i) => i.includes('currency must be an ISO 4217')) && issues.some((i) => i.includes('unknown channel "acq_gamma"')) && issues.some((i) => i.includes('sum to 100; got 90')), issues.join(' | '));
  const check = await app.inject({ method: 'POST', url: '/rules/validate', payload: { ruleId: 'x', priority: 1, arms: [{ channelId: 'acq_beta' }] } });
  assert.deepEqual(check.json(), { valid: true, issues: [] });
  const ok = await app.inject({ method: 'PUT', url: '/rules/cheap', payload: { priority: 5, minAmountMinor: '100', arms: [{ channelId: 'acq_beta', fallbackChannelIds: ['acq_alpha'] }] } });
  assert.equal(ok.statusCode, 202, ok.body);
  assert.equal(ok.json<{ ruleLabel: string }>().ruleLabel, 'cheap@1');
  await waitFor(() => l.router.rules().get('cheap')?.version === 1, { timeoutMs: 10_000, message: 'cheap@1 loaded' });
  const again = await app.inject({ method: 'PUT', url: '/rules/cheap', payload: { priority: 5, arms: [{ channelId: 'acq_beta' }] } });
  assert.equal(again.json<{ version: number }>().version, 2);
  const stale = await app.inject({ method: 'PUT', url: '/rules/cheap', payload: { version: 1, priority: 5, arms: [{ channelId: 'acq_beta' }] } });
  assert.equal(stale.statusCode, 409);
  await waitFor(() => l.router.rules().get('cheap')?.version === 2, { timeoutMs: 10_000, message: 'cheap@2 loaded' });
  await l.send([create('adm-1')]);
  await waitFor(() => l.routed.length === 1, { timeoutMs: 10_000, message: 'routed' });
  assert.equal(l.routed[0]?.ruleId, 'cheap@2');
  assert.equal((await app.inject({ method: 'DELETE', url: '/rules/cheap' })).statusCode, 202);
  await waitFor(() => l.router.rules().get('cheap') === undefined, { timeoutMs: 10_000, message: 'cheap deleted' });
  assert.equal((await app.inject({ method: 'DELETE', url: '/rules/cheap' })).statusCode, 404);
  assert.equal((await app.inject({ method: 'GET', url: '/rules' })).json<{ rules: unknown[] }>().rules.length, 1);
});
