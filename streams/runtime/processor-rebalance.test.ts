import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EachBatchPayload } from '../../lib/kafka.ts';
import { Registry } from 'prom-client';
import { createKafka } from '../../lib/kafka.ts';
import { createLogger } from '../../lib/logger.ts';
import { Scope, connectedAdmin, connectedConsumer, connectedProducer, newKafka, startTestBroker, uniqueName } from '../../test/helpers/kafkajs.ts';
import { waitFor } from '../../test/helpers/wait.ts';
import { bytesCodec } from './codecs.ts';
import { createProcessor, type Processor } from './processor.ts';
import { RuntimeError, type Handler } from './types.ts';

const RECORDS = 6_000;
/** Per-record handler time: the stream lasts seconds, so both group changes happen mid-stream. */
const HANDLE_DELAY_MS = 2;
const PARTITIONS = 4;

test('a second instance joining and the first stopping gracefully rebalance without writing any record twice', { timeout: 90_000 }, async (t) => {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope, { groupInitialRebalanceDelayMs: 0 });
  const kafka = newKafka(bootstrap);
  const input = uniqueName('rebalance-in');
  const output = uniqueName('rebalance-out');
  const admin = await connectedAdmin(scope, kafka);
  await admin.createTopics({ topics: [input, output].map((topic) => ({ topic, numPartitions: PARTITIONS })) });
  const producer = await connectedProducer(scope, kafka);
  for (let from = 0; from < RECORDS; from += 1_000) {
    await producer.send({ topic: input, acks: -1, messages: Array.from({ length: 1_000 }, (_, i) => ({ key: `k-${from + i}`, value: `v-${from + i}` })) });
  }

  const seen = new Map<string, number>();
  const positions = new Map<number, bigint>();
  const verifier = await connectedConsumer(scope, kafka, uniqueName('verify'));
  verifier.on(verifier.events.END_BATCH_PROCESS, ({ payload }) => {
    positions.set(payload.partition, BigInt(payload.lastOffset) + 1n);
  });
  await verifier.subscribe({ topic: output, fromBeginning: true });
  await verifier.run({
    eachBatch: async ({ batch }: EachBatchPayload) => {
      for (const m of batch.messages) seen.set(String(m.value), (seen.get(String(m.value)) ?? 0) + 1);
    },
  });

  const name = uniqueName('rebalance');
  const logger = createLogger({ level: 'silent' });
  // Slow enough that both instances are mid-stream when the group changes.
  const copy: Handler<Buffer, Buffer> = async (record) => {
    await new Promise((resolve) => setTimeout(resolve, HANDLE_DELAY_MS));
    return [{ topic: output, key: record.key, value: record.value }];
  };
  const registries = [new Registry(), new Registry()];
  const instance = (registry: Registry): Processor =>
    createProcessor<Buffer, Buffer>({
      name,
      kafka: createKafka({ brokers: [bootstrap], clientId: name, logger }),
      topics: [input],
      handler: copy,
      decoder: bytesCodec,
      encoder: bytesCodec,
      logger,
      registry,
      group: { sessionTimeoutMs: 6_000, rebalanceTimeoutMs: 5_000, heartbeatIntervalMs: 200, maxWaitTimeMs: 200 },
      transactionRecordsMax: 100,
    });

  const a = instance(registries[0] as Registry);
  const b = instance(registries[1] as Registry);
  scope.defer('stop a', () => a.stop());
  scope.defer('stop b', () => b.stop());
  assert.equal(a.state(), 'idle');
  await a.start();
  assert.equal(a.state(), 'running');
  await assert.rejects(a.start(), (err: unknown) => err instanceof RuntimeError && err.code === 'processor_state');

  await waitFor(() => seen.size >= RECORDS / 5, { timeoutMs: 30_000, message: () => `first outputs (have ${seen.size})` });
  await b.start();
  await waitFor(() => seen.size >= RECORDS / 2, { timeoutMs: 30_000, message: () => `half the outputs (have ${seen.size})` });
  const stopping = a.stop();
  assert.equal(a.state(), 'stopping');
  await stopping;
  assert.equal(a.state(), 'stopped');

  await waitFor(() => seen.size >= RECORDS, { timeoutMs: 45_000, message: () => `all outputs (have ${seen.size})` });
  await b.stop();
  const ends = await admin.fetchTopicOffsets(output);
  const offsets = await admin.fetchOffsets({ groupId: name, topics: [input] });
  const inputEnds = await admin.fetchTopicOffsets(input);
  for (const p of offsets[0]?.partitions ?? []) {
    assert.equal(p.offset, inputEnds.find((e) => e.partition === p.partition)?.high, `group offset of partition ${p.partition} at the end of the input`);
  }
  await waitFor(() => ends.every((e) => (positions.get(e.partition) ?? 0n) >= BigInt(e.high)), { timeoutMs: 15_000, message: 'the verifier at the end of the output' });
  const handled = async (r: Registry): Promise<number> => (await r.getSingleMetric('paystream_processor_records_in_total')?.get())?.values[0]?.value ?? 0;
  const [byA, byB] = [await handled(registries[0] as Registry), await handled(registries[1] as Registry)];
  t.diagnostic(`records committed by a: ${byA}, by b: ${byB}`);
  assert.ok(byA > 0 && byB > 0, `both instances handled records (a ${byA}, b ${byB})`);
  assert.ok(byA + byB >= RECORDS, 'aborted work is counted only when redone');
  const duplicates = [...seen].filter(([, n]) => n > 1);
  assert.deepEqual(duplicates.slice(0, 10), []);
  assert.equal(seen.size, RECORDS);
});
