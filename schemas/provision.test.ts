import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createKafka, type Admin } from '../lib/kafka.ts';
import { createLogger } from '../lib/logger.ts';
import { Scope, startTestBroker, uniqueName } from '../test/helpers/kafkajs.ts';
import { CATALOGUE, type TopicSpec } from './catalogue.ts';
import { CatalogueDriftError, provisionCatalogue, provisionTopics } from './provision.ts';

const logger = createLogger({ level: 'silent' });

async function adminFor(scope: Scope, bootstrap: string): Promise<Admin> {
  const kafka = createKafka({ brokers: [bootstrap], clientId: uniqueName('provision'), logger, retry: { retries: 3, initialRetryTimeMs: 50, maxRetryTimeMs: 500 } });
  const admin = kafka.admin();
  await admin.connect();
  scope.defer('disconnect admin', () => admin.disconnect());
  return admin;
}

/** Catalogue-shaped specs with this test's own names, so tests never share topics. */
function ownTopics(prefix: string): TopicSpec[] {
  const pick = ['payments.commands', 'config.channels', 'payments.commands.dlq'];
  return CATALOGUE.filter((t) => pick.includes(t.name)).map((t) => ({ ...t, name: `${prefix}.${t.name}` }));
}

test('provisioning creates the missing topics once and a second run creates nothing', async (t) => {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope, { autoCreateTopics: false });
  const admin = await adminFor(scope, bootstrap);
  const specs = ownTopics(uniqueName('prov'));
  const first = await provisionTopics(admin, specs, { replicationFactor: 1, logger });
  assert.deepEqual(first.created, specs.map((s) => s.name));
  assert.deepEqual(first.existing, []);
  const { topics } = await admin.fetchTopicMetadata({ topics: specs.map((s) => s.name) });
  for (const spec of specs) assert.equal(topics.find((m) => m.name === spec.name)?.partitions.length, spec.partitions, spec.name);
  const second = await provisionTopics(admin, specs, { replicationFactor: 1, logger });
  assert.deepEqual(second.created, []);
  assert.deepEqual(second.existing, specs.map((s) => s.name));
});

test('provisioning the whole catalogue works on the embedded broker', async (t) => {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope, { autoCreateTopics: false });
  const admin = await adminFor(scope, bootstrap);
  const kafka = createKafka({ brokers: [bootstrap], clientId: uniqueName('provision'), logger });
  const report = await provisionCatalogue(kafka, { replicationFactor: 1, logger });
  assert.equal(report.created.length, CATALOGUE.length);
  assert.deepEqual((await provisionCatalogue(kafka, { replicationFactor: 1, logger })).created, []);
  const listed = new Set(await admin.listTopics());
  for (const spec of CATALOGUE) assert.ok(listed.has(spec.name), spec.name);
});

test('provisioning fails with a drift error naming the topic and field when partitions differ', async (t) => {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope, { autoCreateTopics: false });
  const admin = await adminFor(scope, bootstrap);
  const specs = ownTopics(uniqueName('drift'));
  const [wrong, ...rest] = specs;
  assert.ok(wrong);
  await admin.createTopics({ topics: [{ topic: wrong.name, numPartitions: wrong.partitions + 1, replicationFactor: 1 }], waitForLeaders: true });
  const err = await provisionTopics(admin, specs, { replicationFactor: 1, logger }).then(
    () => assert.fail('expected drift'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof CatalogueDriftError, String(err));
  assert.equal(err.code, 'catalogue_drift');
  assert.deepEqual(err.drifts, [{ topic: wrong.name, field: 'partitions', expected: String(wrong.partitions), actual: String(wrong.partitions + 1) }]);
  assert.match(err.message, new RegExp(`topic ${wrong.name.replace(/\./g, '\\.')}: partitions is ${wrong.partitions + 1}`));
  // Nothing else was created: a drifted cluster is left for an operator, not half-provisioned.
  const listed = new Set(await admin.listTopics());
  for (const spec of rest) assert.equal(listed.has(spec.name), false, spec.name);
});

/** An admin that can describe configs, as a real Kafka cluster can. */
function describingAdmin(existing: Array<{ name: string; partitions: number; configs: Record<string, string> }>): { admin: Admin; created: string[] } {
  const created: string[] = [];
  const stub = {
    listTopics: async () => existing.map((t) => t.name),
    fetchTopicMetadata: async ({ topics }: { topics: string[] }) => ({
      topics: existing.filter((t) => topics.includes(t.name)).map((t) => ({ name: t.name, partitions: Array.from({ length: t.partitions }, (_, i) => ({ partitionId: i })) })),
    }),
    describeConfigs: async ({ resources }: { resources: Array<{ name: string }> }) => ({
      resources: resources.map((r) => ({
        resourceName: r.name,
        configEntries: Object.entries(existing.find((t) => t.name === r.name)?.configs ?? {}).map(([configName, configValue]) => ({ configName, configValue })),
      })),
    }),
    createTopics: async ({ topics }: { topics: Array<{ topic: string }> }) => {
      created.push(...topics.map((t) => t.topic));
      return true;
    },
  };
  return { admin: stub as unknown as Admin, created };
}

test('provisioning compares cleanup.policy and retention.ms where the broker can describe configs', async () => {
  const [commands, channels] = ownTopics('described');
  assert.ok(commands && channels);
  const { admin, created } = describingAdmin([
    { name: commands.name, partitions: commands.partitions, configs: { 'cleanup.policy': 'delete', 'retention.ms': '1000' } },
    { name: channels.name, partitions: channels.partitions, configs: { 'cleanup.policy': 'delete', 'retention.ms': '-1' } },
  ]);
  const err = await provisionTopics(admin, [commands, channels], { replicationFactor: 3, logger }).then(
    () => assert.fail('expected drift'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof CatalogueDriftError);
  assert.deepEqual(err.drifts, [
    { topic: commands.name, field: 'retention.ms', expected: String(commands.retentionMs), actual: '1000' },
    { topic: channels.name, field: 'cleanup.policy', expected: 'compact', actual: 'delete' },
  ]);
  assert.deepEqual(created, []);
  const fine = describingAdmin([{ name: channels.name, partitions: 1, configs: { 'cleanup.policy': 'compact', 'retention.ms': '-1' } }]);
  const report = await provisionTopics(fine.admin, [channels], { replicationFactor: 3, logger });
  assert.equal(report.configsChecked, true);
});
