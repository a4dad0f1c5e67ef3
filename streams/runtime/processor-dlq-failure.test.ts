import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { createKafka } from '../../lib/kafka.ts';
import { createLogger } from '../../lib/logger.ts';
import { PaystreamError } from '../../lib/errors.ts';
import { Scope, connectedAdmin, connectedProducer, consumeCount, newKafka, startTestBroker, uniqueName } from '../../test/helpers/kafkajs.ts';
import { waitFor } from '../../test/helpers/wait.ts';
import { bytesCodec } from './codecs.ts';
import { DLQ_HEADERS } from './headers.ts';
import { createProcessor } from './processor.ts';
import type { Handler } from './types.ts';

test('when the dead-letter write fails nothing of the transaction is committed, and it all lands once the topic exists', { timeout: 60_000 }, async (t) => {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope, { groupInitialRebalanceDelayMs: 0, autoCreateTopics: false });
  const testKafka = newKafka(bootstrap);
  const input = uniqueName('orders');
  const output = uniqueName('orders-out');
  const admin = await connectedAdmin(scope, testKafka);
  await admin.createTopics({ topics: [input, output].map((topic) => ({ topic, numPartitions: 1 })) });
  const producer = await connectedProducer(scope, testKafka);
  await producer.send({ topic: input, acks: -1, messages: ['ok-0', 'poison-1', 'ok-2'].map((value) => ({ key: value, value })) });

  const handler: Handler<Buffer, Buffer> = async (record) => {
    if (record.value.toString().startsWith('poison')) throw new PaystreamError('order_invalid', 'poison');
    return [{ topic: output, key: record.key, value: record.value }];
  };
  const logger = createLogger({ level: 'silent' });
  const registry = new Registry();
  const name = uniqueName('dlq-failure');
  const processor = createProcessor<Buffer, Buffer>({
    name,
    // Few client retries, so a produce to the missing topic fails fast.
    kafka: createKafka({ brokers: [bootstrap], clientId: name, logger, retry: { retries: 1, initialRetryTimeMs: 50, maxRetryTimeMs: 100 } }),
    topics: [input],
    handler,
    decoder: bytesCodec,
    encoder: bytesCodec,
    logger,
    registry,
    allowAutoTopicCreation: false,
    group: { sessionTimeoutMs: 6_000, rebalanceTimeoutMs: 5_000, heartbeatIntervalMs: 300, maxWaitTimeMs: 200 },
    backoff: { initialMs: 20, maxMs: 100, factor: 2 },
  });
  scope.defer('stop processor', () => processor.stop());
  await processor.start();

  const aborted = async (): Promise<number> => (await registry.getSingleMetric('paystream_processor_transactions_aborted_total')?.get())?.values[0]?.value ?? 0;
  await waitFor(async () => (await aborted()) >= 2, { timeoutMs: 30_000, message: 'two aborted transactions' });
  const [committed] = await admin.fetchOffsets({ groupId: name, topics: [input] });
  assert.equal(committed?.partitions[0]?.offset, '-1', 'no offset committed');
  const [outEnd] = await admin.fetchTopicOffsets(output);
  assert.equal(outEnd?.high, '0', 'no output written');
  assert.equal((await registry.getSingleMetric('paystream_processor_records_in_total')?.get())?.values[0]?.value ?? 0, 0);

  await admin.createTopics({ topics: [{ topic: `${input}.dlq`, numPartitions: 1 }] });
  const dead = await consumeCount(scope, testKafka, `${input}.dlq`, 1, {}, 30_000);
  assert.equal(dead[0]?.value, 'poison-1');
  assert.equal(dead[0]?.headers[DLQ_HEADERS.errorCode], 'order_invalid');
  await waitFor(async () => (await admin.fetchOffsets({ groupId: name, topics: [input] }))[0]?.partitions[0]?.offset === '3', { timeoutMs: 15_000, message: 'offsets committed' });
  const outputs = await consumeCount(scope, testKafka, output, 2, {}, 15_000);
  assert.deepEqual(outputs.map((m) => m.value), ['ok-0', 'ok-2']);
  await processor.stop();
  const count = async (metric: string): Promise<number> => (await registry.getSingleMetric(metric)?.get())?.values[0]?.value ?? 0;
  assert.deepEqual(
    [await count('paystream_processor_records_in_total'), await count('paystream_processor_records_out_total'), await count('paystream_processor_records_dead_lettered_total')],
    [3, 2, 1],
    'counted once, when committed',
  );
});
