import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { createKafka } from '../../lib/kafka.ts';
import { createLogger } from '../../lib/logger.ts';
import { Scope, connectedAdmin, connectedProducer, newKafka, startTestBroker, uniqueName } from '../../test/helpers/kafkajs.ts';
import { waitFor } from '../../test/helpers/wait.ts';
import { bytesCodec } from './codecs.ts';
import { createProcessor, type Processor } from './processor.ts';
import { readAll } from './testing/read-all.ts';
import type { Handler } from './types.ts';

const RECORDS = 10;
const STALL_AT = '5';

test('an instance that stalls past its session and then wakes up is fenced: its late transaction commits nothing', { timeout: 60_000 }, async (t) => {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope, { groupInitialRebalanceDelayMs: 0 });
  const kafka = newKafka(bootstrap);
  const input = uniqueName('zombie-in');
  const output = uniqueName('zombie-out');
  const admin = await connectedAdmin(scope, kafka);
  await admin.createTopics({ topics: [input, output].map((topic) => ({ topic, numPartitions: 1 })) });
  const producer = await connectedProducer(scope, kafka);
  await producer.send({ topic: input, acks: -1, messages: Array.from({ length: RECORDS }, (_, i) => ({ key: `k-${i}`, value: `v-${i}` })) });

  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let stalled = false;
  let zombieHandledAfterWaking = 0;
  // The zombie stalls on one record (a long GC pause, a stuck call) without heartbeating.
  const zombieHandler: Handler<Buffer, Buffer> = async (record) => {
    if (record.offset === STALL_AT && !stalled) {
      stalled = true;
      await gate;
    }
    if (stalled) zombieHandledAfterWaking += 1;
    return [{ topic: output, key: record.key, value: record.value }];
  };
  const copy: Handler<Buffer, Buffer> = async (record) => [{ topic: output, key: record.key, value: record.value }];
  const name = uniqueName('zombie');
  const logger = createLogger({ level: 'silent' });
  const registries = [new Registry(), new Registry()] as const;
  const instance = (handler: Handler<Buffer, Buffer>, registry: Registry): Processor =>
    createProcessor<Buffer, Buffer>({
      name,
      kafka: createKafka({ brokers: [bootstrap], clientId: name, logger }),
      topics: [input],
      handler,
      decoder: bytesCodec,
      encoder: bytesCodec,
      logger,
      registry,
      group: { sessionTimeoutMs: 3_000, rebalanceTimeoutMs: 3_000, heartbeatIntervalMs: 300, maxWaitTimeMs: 200 },
      transactionRecordsMax: 100,
    });
  const zombie = instance(zombieHandler, registries[0]);
  scope.defer('stop zombie', () => zombie.stop());
  await zombie.start();
  await waitFor(() => stalled, { timeoutMs: 20_000, message: 'the zombie to stall' });

  const successor = instance(copy, registries[1]);
  scope.defer('stop successor', () => successor.stop());
  await successor.start();
  const committed = async (): Promise<string | undefined> => (await admin.fetchOffsets({ groupId: name, topics: [input] }))[0]?.partitions[0]?.offset;
  await waitFor(async () => (await committed()) === String(RECORDS), { timeoutMs: 30_000, message: 'the successor to commit every record' });

  release();
  const aborted = async (): Promise<number> => (await registries[0].getSingleMetric('paystream_processor_transactions_aborted_total')?.get())?.values[0]?.value ?? 0;
  await waitFor(async () => (await aborted()) >= 1, { timeoutMs: 20_000, message: 'the zombie to be fenced' });
  assert.ok(zombieHandledAfterWaking > 0, 'the zombie did handle its chunk after waking');

  await zombie.stop();
  await successor.stop();
  // Whatever the zombie wrote after waking is aborted; read_committed sees each record once.
  const all = await readAll(kafka, output);
  assert.deepEqual(
    all.map((m) => m.value),
    Array.from({ length: RECORDS }, (_, i) => `v-${i}`),
  );
  assert.equal(await committed(), String(RECORDS));
});
