import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ErrorCode, type LogManager } from '../contracts.ts';
import { InvalidTopicConfigError, InvalidTopicNameError, TopicExistsError, UnknownTopicError } from './errors.ts';
import { openLogManager, type LogManagerOptions } from './log-manager.ts';
import { splitBatches } from './record-batch.ts';
import { decodeRecords } from './records.ts';
import { capturingLogger, tempDir, topicConfig, valueBatch } from './test-support.ts';
import { applyKafkaConfigs, DEFAULT_TOPIC_CONFIG } from './topic-config.ts';

function open(dataDir: string, extra: Partial<LogManagerOptions> = {}) {
  const { logger, lines } = capturingLogger();
  const manager = openLogManager({ dataDir, logger, fsyncIntervalMs: 0, cleanupIntervalMs: 0, ...extra });
  return { manager, lines };
}

function valuesOf(manager: LogManager, topic: string, partition: number): string[] {
  const log = manager.partition(topic, partition);
  assert.ok(log !== undefined);
  return splitBatches(log.read(0, Infinity, 1e9).bytes).flatMap((b) => decodeRecords(b).map((r) => r.value?.toString() ?? 'null'));
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    assert.ok(Date.now() < deadline, 'condition not met before the deadline');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test('log manager creates topics and finds them, their configs and data after a restart', (t) => {
  const { dir, cleanup } = tempDir('lm-restart');
  t.after(cleanup);
  const first = open(dir);
  first.manager.createTopic('orders', topicConfig({ partitions: 3 }));
  first.manager.createTopic('ledger.v1', topicConfig({ cleanupPolicy: 'compact', segmentBytes: 4096 }));
  first.manager.partition('orders', 2)?.append(valueBatch('o', 2));
  first.manager.partition('ledger.v1', 0)?.append(valueBatch('l', 1));
  assert.deepEqual(first.manager.topicNames(), ['ledger.v1', 'orders']);
  assert.ok(fs.existsSync(path.join(dir, 'orders-0')) && fs.existsSync(path.join(dir, 'orders-2')));
  assert.equal(first.manager.partition('orders', 3), undefined);
  first.manager.close();
  const second = open(dir);
  assert.deepEqual(second.manager.topicNames(), ['ledger.v1', 'orders']);
  assert.deepEqual(second.manager.topicConfig('ledger.v1'), topicConfig({ cleanupPolicy: 'compact', segmentBytes: 4096 }));
  assert.deepEqual(valuesOf(second.manager, 'orders', 2), ['o-0', 'o-1']);
  assert.deepEqual(valuesOf(second.manager, 'ledger.v1', 0), ['l-0']);
  assert.equal(second.manager.partition('orders', 0)?.logEndOffset(), 0);
  second.manager.close();
});

test('log manager rejects duplicate, unknown and badly named topics with typed errors', (t) => {
  const { dir, cleanup } = tempDir('lm-errors');
  t.after(cleanup);
  const { manager } = open(dir);
  manager.createTopic('a', topicConfig());
  assert.throws(() => manager.createTopic('a', topicConfig()), (e: unknown) => e instanceof TopicExistsError && e.kafkaCode === ErrorCode.TOPIC_ALREADY_EXISTS);
  assert.throws(() => manager.deleteTopic('nope'), (e: unknown) => e instanceof UnknownTopicError && e.kafkaCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  for (const bad of ['', '.', '..', 'has space', 'slash/x', 'ü', 'x'.repeat(250)]) {
    assert.throws(() => manager.createTopic(bad, topicConfig()), (e: unknown) => e instanceof InvalidTopicNameError && e.kafkaCode === ErrorCode.INVALID_TOPIC_EXCEPTION, bad);
  }
  manager.createTopic('x'.repeat(249), topicConfig());
  assert.throws(() => manager.createTopic('p0', topicConfig({ partitions: 0 })), (e: unknown) => e instanceof InvalidTopicConfigError && e.kafkaCode === ErrorCode.INVALID_PARTITIONS);
  assert.throws(() => manager.createTopic('s', topicConfig({ segmentBytes: 10 })), (e: unknown) => e instanceof InvalidTopicConfigError && e.kafkaCode === ErrorCode.INVALID_CONFIG);
  assert.throws(() => manager.createTopic('r', topicConfig({ retentionMs: -2 })), InvalidTopicConfigError);
  assert.equal(manager.topicConfig('p0'), undefined);
  manager.close();
  const again = open(dir);
  assert.deepEqual(again.manager.topicNames(), ['a', 'x'.repeat(249)]);
  again.manager.deleteTopic('x'.repeat(249));
  again.manager.close();
});

test('log manager deletes a topic and a re-created topic of the same name starts empty', (t) => {
  const { dir, cleanup } = tempDir('lm-delete');
  t.after(cleanup);
  const { manager } = open(dir);
  manager.createTopic('gone', topicConfig({ partitions: 2 }));
  manager.partition('gone', 1)?.append(valueBatch('g', 3));
  manager.deleteTopic('gone');
  assert.equal(manager.partition('gone', 1), undefined);
  assert.deepEqual(manager.topicNames(), []);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['topics.json']);
  manager.createTopic('gone', topicConfig({ partitions: 2 }));
  assert.equal(manager.partition('gone', 1)?.logEndOffset(), 0);
  manager.close();
});

test('log manager finishes interrupted deletions and ignores orphan partition directories', (t) => {
  const { dir, cleanup } = tempDir('lm-orphans');
  t.after(cleanup);
  fs.mkdirSync(path.join(dir, 'old-0.abc-delete'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'orphan-0'), { recursive: true });
  const { manager, lines } = open(dir);
  assert.equal(fs.existsSync(path.join(dir, 'old-0.abc-delete')), false);
  assert.ok(lines.some((l) => l.level === 40 && l.dir === path.join(dir, 'orphan-0')));
  // Creating the topic wipes the orphan so it starts empty.
  manager.createTopic('orphan', topicConfig());
  assert.equal(manager.partition('orphan', 0)?.logEndOffset(), 0);
  manager.close();
});

test('log manager fills settings missing from a stored config from its defaults', (t) => {
  const { dir, cleanup } = tempDir('lm-defaults');
  t.after(cleanup);
  fs.writeFileSync(path.join(dir, 'topics.json'), JSON.stringify({ version: 1, topics: { legacy: { partitions: 2 } } }));
  const { manager } = open(dir, { defaults: { retentionMs: 1234 } });
  assert.deepEqual(manager.topicConfig('legacy'), { ...DEFAULT_TOPIC_CONFIG, partitions: 2, retentionMs: 1234 });
  manager.close();
});

test('log manager cleanup timer applies retention and moves logStartOffset', async (t) => {
  const { dir, cleanup } = tempDir('lm-timer');
  t.after(cleanup);
  let now = 1_700_000_000_000;
  const { manager } = open(dir, { cleanupIntervalMs: 10, fsyncIntervalMs: 10, nowMs: () => now });
  manager.createTopic('short', topicConfig({ retentionMs: 1000, segmentBytes: 300 }));
  const log = manager.partition('short', 0);
  assert.ok(log !== undefined);
  for (let i = 0; i < 20; i++) log.append(valueBatch('s', 1, now));
  now += 5000;
  await waitFor(() => log.logStartOffset() > 0, 5000);
  assert.equal(log.logEndOffset(), 20);
  manager.close();
});

test('applyKafkaConfigs maps CreateTopics settings and rejects bad values', () => {
  const { config, ignored } = applyKafkaConfigs(topicConfig(), [
    { name: 'cleanup.policy', value: 'delete,compact' },
    { name: 'retention.ms', value: '60000' },
    { name: 'retention.bytes', value: '-1' },
    { name: 'segment.bytes', value: '1048576' },
    { name: 'delete.retention.ms', value: '1000' },
    { name: 'min.insync.replicas', value: '1' },
    { name: 'compression.type', value: null },
  ]);
  assert.deepEqual(config, topicConfig({ cleanupPolicy: 'compact,delete', retentionMs: 60000, retentionBytes: -1, segmentBytes: 1048576, deleteRetentionMs: 1000 }));
  assert.deepEqual(ignored, ['min.insync.replicas']);
  assert.throws(() => applyKafkaConfigs(topicConfig(), [{ name: 'retention.ms', value: 'soon' }]), InvalidTopicConfigError);
  assert.throws(() => applyKafkaConfigs(topicConfig(), [{ name: 'cleanup.policy', value: 'shred' }]), InvalidTopicConfigError);
  assert.throws(() => applyKafkaConfigs(topicConfig(), [{ name: 'segment.bytes', value: '1' }]), InvalidTopicConfigError);
});
