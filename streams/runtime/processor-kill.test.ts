import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EachBatchPayload } from '../../lib/kafka.ts';
import { Scope, connectedAdmin, connectedConsumer, connectedProducer, newKafka, startTestBroker, uniqueName } from '../../test/helpers/kafkajs.ts';
import { delay, waitFor } from '../../test/helpers/wait.ts';
import { ChildProcessor } from './testing/child-processor.ts';
import { seededRandom } from './testing/seeded-random.ts';

const RECORDS = 50_000;
const PARTITIONS = 4;
const KILLS = 3;
/** Records per produce request when filling the input. */
const FILL_BATCH = 5_000;
/** Small transactions, so a kill usually lands inside one. */
const TRANSACTION_RECORDS = 250;
/** A debugging switch, not configuration: set RUNTIME_KILL_SEED to replay a failing schedule. */
const SEED = Number(process.env.RUNTIME_KILL_SEED ?? '20261122');

for (const keyConcurrency of [1, 16]) {
  test(`a copy processor SIGKILLed ${KILLS} times while copying ${RECORDS} records still writes each exactly once (keyConcurrency ${keyConcurrency}, seed ${SEED})`, { timeout: 170_000 }, async (t) => {
    const random = seededRandom(SEED);
    const scope = new Scope(t);
    const { bootstrap } = await startTestBroker(scope, { groupInitialRebalanceDelayMs: 0 });
    const kafka = newKafka(bootstrap);
    const input = uniqueName('copy-in');
    const output = uniqueName('copy-out');
    const admin = await connectedAdmin(scope, kafka);
    await admin.createTopics({ topics: [input, output].map((topic) => ({ topic, numPartitions: PARTITIONS })) });

    const producer = await connectedProducer(scope, kafka);
    for (let from = 0; from < RECORDS; from += FILL_BATCH) {
      const messages = Array.from({ length: Math.min(FILL_BATCH, RECORDS - from) }, (_, i) => ({ key: `k-${from + i}`, value: `v-${from + i}` }));
      await producer.send({ topic: input, messages, acks: -1 });
    }

    // The verifier: a read_committed consumer of the output, running throughout.
    const seen = new Map<string, number>();
    let total = 0;
    const positions = new Map<number, bigint>();
    const verifier = await connectedConsumer(scope, kafka, uniqueName('verify'), { maxBytesPerPartition: 4 * 1024 * 1024 });
    verifier.on(verifier.events.END_BATCH_PROCESS, ({ payload }) => {
      positions.set(payload.partition, BigInt(payload.lastOffset) + 1n);
    });
    await verifier.subscribe({ topic: output, fromBeginning: true });
    await verifier.run({
      eachBatch: async ({ batch }: EachBatchPayload) => {
        for (const m of batch.messages) {
          total += 1;
          const value = m.value?.toString() ?? '';
          seen.set(value, (seen.get(value) ?? 0) + 1);
        }
      },
    });

    const processor = new ChildProcessor({ bootstrap, input, output, name: uniqueName('copy'), transactionRecordsMax: TRANSACTION_RECORDS, keyConcurrency }, t);
    await processor.start();

    const thresholds = Array.from({ length: KILLS }, () => Math.floor(RECORDS * (0.1 + 0.75 * random()))).sort((a, b) => a - b);
    t.diagnostic(`kill after ${thresholds.join(', ')} committed outputs`);
    for (const threshold of thresholds) {
      // Each kill lands while the restarted instance copies, not while it is still joining.
      const target = Math.max(threshold, seen.size + 2 * TRANSACTION_RECORDS);
      await waitFor(() => seen.size >= target, { timeoutMs: 60_000, intervalMs: 20, message: () => `${target} outputs (have ${seen.size})\n${processor.output()}` });
      // A random extra moment, so the kill falls anywhere in a transaction's life.
      await delay(Math.floor(random() * 300));
      await processor.kill();
      t.diagnostic(`killed at ${seen.size} distinct outputs`);
      await processor.start();
    }

    await waitFor(() => seen.size >= RECORDS, { timeoutMs: 90_000, intervalMs: 50, message: () => `${RECORDS} distinct outputs (have ${seen.size})\n${processor.output()}` });
    await processor.stop();
    // Nothing is open any more: the verifier has read everything once it is past each high watermark.
    const ends = await admin.fetchTopicOffsets(output);
    await waitFor(() => ends.every((e) => (positions.get(e.partition) ?? 0n) >= BigInt(e.high)), { timeoutMs: 15_000, message: () => `verifier at the output's end ${JSON.stringify(ends)}` });

    const duplicates = [...seen].filter(([, n]) => n > 1);
    assert.deepEqual(duplicates.slice(0, 10), [], 'no output twice');
    assert.equal(seen.size, RECORDS);
    assert.equal(total, RECORDS);
    for (let i = 0; i < RECORDS; i += 1) if (!seen.has(`v-${i}`)) assert.fail(`v-${i} missing`);
    assert.equal(processor.starts, KILLS + 1);
  });
}
