import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { createKafka } from '../../lib/kafka.ts';
import { createLogger } from '../../lib/logger.ts';
import { spawnBroker } from '../../test/helpers/broker-process.ts';
import { newKafka, uniqueName } from '../../test/helpers/kafkajs.ts';
import { tempDir, waitFor } from '../../test/helpers/wait.ts';
import { bytesCodec } from './codecs.ts';
import { createProcessor } from './processor.ts';
import { readAll } from './testing/read-all.ts';
import type { Handler } from './types.ts';

const RECORDS = 20_000;
const PARTITIONS = 4;

test('a processor copying through a broker SIGKILL and restart writes every record exactly once', { timeout: 120_000 }, async (t) => {
  const dir = tempDir('runtime-broker-kill', t);
  const broker = await spawnBroker({ dataDir: dir.path, owner: t, extraArgs: ['--group-initial-rebalance-delay-ms', '0', '--log-level', 'warn'] });
  const kafka = newKafka(broker.bootstrap, uniqueName('test'), 10);
  const input = uniqueName('bk-in');
  const output = uniqueName('bk-out');
  const admin = kafka.admin();
  await admin.connect();
  t.after(() => admin.disconnect());
  await admin.createTopics({ topics: [input, output].map((topic) => ({ topic, numPartitions: PARTITIONS })) });
  const producer = kafka.producer();
  await producer.connect();
  for (let from = 0; from < RECORDS; from += 5_000) {
    await producer.send({ topic: input, acks: -1, messages: Array.from({ length: 5_000 }, (_, i) => ({ key: `k-${from + i}`, value: `v-${from + i}` })) });
  }
  await producer.disconnect();

  const registry = new Registry();
  const logger = createLogger({ level: 'silent' });
  const name = uniqueName('bk-copy');
  const copy: Handler<Buffer, Buffer> = async (record) => {
    await new Promise((resolve) => setImmediate(resolve));
    return [{ topic: output, key: record.key, value: record.value }];
  };
  const processor = createProcessor<Buffer, Buffer>({
    name,
    kafka: createKafka({ brokers: [broker.bootstrap], clientId: name, logger, retry: { retries: 20, initialRetryTimeMs: 100, maxRetryTimeMs: 1_000 } }),
    topics: [input],
    handler: copy,
    decoder: bytesCodec,
    encoder: bytesCodec,
    logger,
    registry,
    group: { sessionTimeoutMs: 6_000, rebalanceTimeoutMs: 5_000, heartbeatIntervalMs: 300, maxWaitTimeMs: 200 },
    transactionRecordsMax: 250,
  });
  t.after(() => processor.stop());
  await processor.start();
  const committed = async (): Promise<number> => (await registry.getSingleMetric('paystream_processor_records_in_total')?.get())?.values[0]?.value ?? 0;
  await waitFor(async () => (await committed()) >= RECORDS / 4, { timeoutMs: 30_000, message: 'a quarter copied' });
  await broker.kill('SIGKILL');
  t.diagnostic(`broker killed at ${await committed()} committed`);
  await broker.start();
  const ends = await admin.fetchTopicOffsets(input);
  await waitFor(
    async () => {
      const [offsets] = await admin.fetchOffsets({ groupId: name, topics: [input] });
      return ends.every((e) => offsets?.partitions.find((p) => p.partition === e.partition)?.offset === e.high);
    },
    { timeoutMs: 60_000, intervalMs: 200, message: () => `the group at the input's end\n${broker.output().slice(-3000)}` },
  );
  await processor.stop();
  const all = await readAll(kafka, output, 30_000);
  const counts = new Map<string, number>();
  for (const r of all) counts.set(String(r.value), (counts.get(String(r.value)) ?? 0) + 1);
  assert.deepEqual([...counts].filter(([, n]) => n > 1).slice(0, 10), [], 'no record twice');
  assert.equal(counts.size, RECORDS);
});
