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
