import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { createKafka } from '../../lib/kafka.ts';
import { createLogger } from '../../lib/logger.ts';
import { Scope, connectedAdmin, connectedProducer, newKafka, startTestBroker, uniqueName } from '../../test/helpers/kafkajs.ts';
import { waitFor } from '../../test/helpers/wait.ts';
import { bytesCodec } from './codecs.ts';
import { createProcessor } from './processor.ts';
import type { Handler } from './types.ts';

const logger = createLogger({ level: 'silent' });

test('stopping a processor that never started leaves it stopped', async () => {
  const processor = createProcessor<Buffer, Buffer>({
    name: uniqueName('idle'),
    kafka: createKafka({ brokers: ['127.0.0.1:1'], clientId: 'idle', logger }),
    topics: ['nothing'],
    handler: async () => [],
    decoder: bytesCodec,
    encoder: bytesCodec,
    logger,
    registry: new Registry(),
  });
  assert.equal(processor.state(), 'idle');
  await processor.stop();
  assert.equal(processor.state(), 'stopped');
});

test('stop gives up on a handler that never returns after the grace time, committing nothing of its chunk', { timeout: 60_000 }, async (t) => {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope, { groupInitialRebalanceDelayMs: 0 });
  const kafka = newKafka(bootstrap);
  const input = uniqueName('stuck-in');
  const admin = await connectedAdmin(scope, kafka);
  await admin.createTopics({ topics: [{ topic: input, numPartitions: 1 }] });
  const producer = await connectedProducer(scope, kafka);
  await producer.send({ topic: input, acks: -1, messages: [{ key: 'a', value: 'a' }] });

  let entered = false;
  const stuck: Handler<Buffer, Buffer> = () => {
    entered = true;
    return new Promise(() => undefined);
  };
  const name = uniqueName('stuck');
  const processor = createProcessor<Buffer, Buffer>({
    name,
    kafka: createKafka({ brokers: [bootstrap], clientId: name, logger }),
    topics: [input],
    handler: stuck,
    decoder: bytesCodec,
    encoder: bytesCodec,
    logger,
    registry: new Registry(),
    group: { sessionTimeoutMs: 6_000, rebalanceTimeoutMs: 5_000, heartbeatIntervalMs: 300, maxWaitTimeMs: 200 },
    stopGraceMs: 300,
  });
  await processor.start();
  await waitFor(() => entered, { timeoutMs: 20_000, message: 'the handler to be called' });
  const startedMs = Date.now();
  await processor.stop();
  assert.equal(processor.state(), 'stopped');
  assert.ok(Date.now() - startedMs < 10_000, `stop returned after ${Date.now() - startedMs} ms`);
  const [offsets] = await admin.fetchOffsets({ groupId: name, topics: [input] });
  assert.equal(offsets?.partitions[0]?.offset, '-1');
});

test('a slow handler commits in time-bounded chunks, so outputs appear long before a full chunk is handled', { timeout: 60_000 }, async (t) => {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope, { groupInitialRebalanceDelayMs: 0 });
  const kafka = newKafka(bootstrap);
  const input = uniqueName('slow-in');
  const output = uniqueName('slow-out');
  const admin = await connectedAdmin(scope, kafka);
  await admin.createTopics({ topics: [input, output].map((topic) => ({ topic, numPartitions: 1 })) });
  const producer = await connectedProducer(scope, kafka);
  const records = 60;
  await producer.send({ topic: input, acks: -1, messages: Array.from({ length: records }, (_, i) => ({ key: `k-${i}`, value: `v-${i}` })) });

  let handled = 0;
  const slow: Handler<Buffer, Buffer> = async (record) => {
    await new Promise((resolve) => setTimeout(resolve, 20));
    handled += 1;
    return [{ topic: output, key: record.key, value: record.value }];
  };
  const registry = new Registry();
  const name = uniqueName('slow');
  const processor = createProcessor<Buffer, Buffer>({
    name,
    kafka: createKafka({ brokers: [bootstrap], clientId: name, logger }),
    topics: [input],
    handler: slow,
    decoder: bytesCodec,
    encoder: bytesCodec,
    logger,
    registry,
    group: { sessionTimeoutMs: 6_000, rebalanceTimeoutMs: 5_000, heartbeatIntervalMs: 300, maxWaitTimeMs: 200 },
    transactionHandleMsMax: 200,
  });
  scope.defer('stop processor', () => processor.stop());
  await processor.start();
  const committed = async (): Promise<number> => (await registry.getSingleMetric('paystream_processor_records_in_total')?.get())?.values[0]?.value ?? 0;
  const first = await waitFor(async () => ((await committed()) > 0 ? { committed: await committed(), handled } : undefined), { timeoutMs: 20_000, message: 'a first commit' });
  assert.ok(first.handled < records / 2, `first commit after ${first.handled} of ${records} records were handled`);
  await waitFor(async () => (await committed()) === records, { timeoutMs: 20_000, message: 'every record committed' });
  await processor.stop();
  const [offsets] = await admin.fetchOffsets({ groupId: name, topics: [input] });
  assert.equal(offsets?.partitions[0]?.offset, String(records));
});

test('a processor refuses a misconfiguration at construction', () => {
  const base = {
    name: 'ok',
    kafka: createKafka({ brokers: ['127.0.0.1:1'], clientId: 'bad', logger }),
    topics: ['t'],
    handler: async () => [],
    decoder: bytesCodec,
    encoder: bytesCodec,
    logger,
    registry: new Registry(),
  };
  assert.throws(() => createProcessor<Buffer, Buffer>({ ...base, name: '' }), /processor name/);
  assert.throws(() => createProcessor<Buffer, Buffer>({ ...base, name: 'a b' }), /processor name/);
  assert.throws(() => createProcessor<Buffer, Buffer>({ ...base, topics: [] }), /at least one topic/);
  assert.throws(() => createProcessor<Buffer, Buffer>({ ...base, transactionRecordsMax: 0 }), /transactionRecordsMax/);
  assert.throws(() => createProcessor<Buffer, Buffer>({ ...base, attemptsMax: 1.5 }), /attemptsMax/);
});
