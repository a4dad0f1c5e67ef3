import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AVRO_TOPICS, CATALOGUE, CATALOGUE_PARTITIONS_MAX, dlqName, RETENTION_FOREVER, SCHEMAS_TOPIC, topicConfigEntries, valueSubject } from './catalogue.ts';
import { readSchemaFiles } from './generate-types.ts';
import { SCHEMA_NAMES } from './schema-files.ts';

/** Kafka's legal topic names: [a-zA-Z0-9._-], at most 249 characters. */
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

test('catalogue topic names are legal Kafka names and unique', () => {
  const names = CATALOGUE.map((t) => t.name);
  assert.equal(new Set(names).size, names.length, 'duplicate topic names');
  for (const name of names) assert.match(name, TOPIC_NAME);
});

test('every avro topic names an existing schema and every schema is used by a topic', () => {
  const used = new Set<string>();
  for (const topic of CATALOGUE) {
    if (topic.value.kind === 'avro') {
      assert.ok((SCHEMA_NAMES as readonly string[]).includes(topic.value.schema), `${topic.name}: unknown schema ${topic.value.schema}`);
      used.add(topic.value.schema);
    }
    if (topic.value.kind === 'dead-letter') used.add('DeadLetter');
  }
  assert.deepEqual([...SCHEMA_NAMES].filter((s) => !used.has(s)), [], 'schemas no topic carries');
});

test('each schema documents the topic that carries it', () => {
  const docs = new Map(readSchemaFiles().map((f) => [f.name, String(f.schema.doc)]));
  for (const topic of CATALOGUE) {
    if (topic.value.kind !== 'avro') continue;
    assert.ok(docs.get(topic.value.schema)?.includes(topic.name), `${topic.value.schema}.avsc doc should name topic ${topic.name}`);
  }
});

test('every processor input has a dead-letter topic and every dead-letter topic belongs to an input', () => {
  const inputs = CATALOGUE.filter((t) => t.role === 'processor-input');
  const dlqs = CATALOGUE.filter((t) => t.role === 'dead-letter');
  assert.ok(inputs.length > 0);
  for (const input of inputs) {
    const dlq = CATALOGUE.find((t) => t.name === dlqName(input.name));
    assert.ok(dlq, `${input.name} has no ${dlqName(input.name)}`);
    assert.equal(dlq.role, 'dead-letter');
    assert.equal(dlq.value.kind, 'dead-letter');
    assert.equal(dlq.cleanupPolicy, 'delete');
  }
  for (const dlq of dlqs) {
    assert.ok(dlq.name.endsWith('.dlq'), dlq.name);
    assert.ok(inputs.some((i) => dlqName(i.name) === dlq.name), `${dlq.name} has no input topic`);
  }
  assert.ok(CATALOGUE.filter((t) => t.name.endsWith('.dlq')).every((t) => t.role === 'dead-letter'));
});

test('config topics and _schemas are compacted, single-partition and kept forever', () => {
  const compacted = CATALOGUE.filter((t) => t.role === 'config' || t.name === SCHEMAS_TOPIC);
  assert.ok(compacted.some((t) => t.name === SCHEMAS_TOPIC));
  assert.ok(compacted.filter((t) => t.role === 'config').length >= 2);
  for (const topic of compacted) {
    assert.equal(topic.cleanupPolicy, 'compact', topic.name);
    assert.equal(topic.retentionMs, RETENTION_FOREVER, topic.name);
    assert.equal(topic.partitions, 1, `${topic.name}: a table read whole at start needs no more than one partition`);
  }
  for (const topic of CATALOGUE.filter((t) => t.cleanupPolicy === 'compact')) {
    assert.ok(topic.role === 'config' || topic.role === 'internal', `${topic.name} is compacted but is not a table`);
  }
});

test('partition counts and retentions are in range and the payment flow is keyed by paymentId', () => {
  for (const topic of CATALOGUE) {
    assert.ok(Number.isInteger(topic.partitions) && topic.partitions >= 1 && topic.partitions <= CATALOGUE_PARTITIONS_MAX, topic.name);
    assert.ok(topic.retentionMs === RETENTION_FOREVER || topic.retentionMs >= 60 * 60 * 1000, `${topic.name}: retention under an hour`);
    assert.deepEqual(topicConfigEntries(topic).map((e) => e.name), ['cleanup.policy', 'retention.ms']);
  }
  for (const name of ['payments.commands', 'payments.routed', 'payments.assessed', 'payments.attempts', 'channel.notifications', 'payments.events', 'ledger.entries']) {
    const topic = CATALOGUE.find((t) => t.name === name);
    assert.ok(topic, name);
    assert.equal(topic.key, 'paymentId', name);
  }
  const flowPartitions = new Set(CATALOGUE.filter((t) => t.key === 'paymentId').map((t) => t.partitions));
  assert.equal(flowPartitions.size, 1, 'topics keyed by paymentId share one partition count so co-partitioned joins stay possible');
  assert.equal(valueSubject('payments.commands'), 'payments.commands-value');
});

test('every topic of the typed topic-to-schema map is in the catalogue with that schema', () => {
  for (const [topic, schema] of Object.entries(AVRO_TOPICS)) {
    const spec = CATALOGUE.find((t) => t.name === topic);
    assert.deepEqual(spec?.value, { kind: 'avro', schema }, topic);
  }
  assert.equal(CATALOGUE.filter((t) => t.value.kind === 'avro').length, Object.keys(AVRO_TOPICS).length);
});
