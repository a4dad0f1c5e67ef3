/**
 * Processor runtime throughput: records/s through one transactional copy processor
 * (streams/runtime: read_committed consumer, handler, transactional producer per partition,
 * offsets in the transaction) against a raw kafkajs copy (group consumer with auto-commit and a
 * plain producer, acks=-1, no transactions) on the same embedded broker in the same run.
 *
 * Both copy the same pre-filled input topic into a fresh output topic with a fresh group, and
 * both clocks run from the first record handed to the copier to the last durable write (the
 * last commit for the processor, the last produce ack for the raw copy), so the group join is
 * not counted. Runs alternate which copier goes first. A third copier per run (raw, but
 * idempotent and with a traceparent header per record) shows how much of the gap is the header
 * and idempotence rather than the transactions, and a fourth (raw kafkajs with the same
 * transactions, no runtime) shows what kafkajs transactions cost on this broker by themselves.
 */
import { Registry } from 'prom-client';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { createKafka } from '../lib/kafka.ts';
import { createLogger } from '../lib/logger.ts';
import { bytesCodec } from '../streams/runtime/codecs.ts';
import { createProcessor } from '../streams/runtime/processor.ts';
import { TRANSACTION_RECORDS_MAX } from '../streams/runtime/limits.ts';
import type { Handler } from '../streams/runtime/types.ts';
import { startEmbedded } from './lib/brokers.ts';
import { kafkajsProduce } from './lib/kafkajs-workload.ts';
import { recordFigure } from './lib/result.ts';

/** Five runs: the machine is shared, and a median of five shrugs off one disturbed run. */
const RUNS = 5;
const RECORDS = 100_000;
const VALUE_BYTES = 100;
const PARTITIONS = 4;
const FILL_BATCH = 1_000;
/** Records per transaction of the raw transactional copy: the runtime's TRANSACTION_RECORDS_MAX. */
const TXN_RECORDS = TRANSACTION_RECORDS_MAX;
/** Exactly-once should cost at most half of the raw copy's rate. */
const RATIO_TARGET = 0.5;
/** Bounds a run against a wedged broker; a healthy run takes seconds. */
const RUN_TIMEOUT_MS = 300_000;
/** How often the processor's committed count is read. */
const POLL_INTERVAL_MS = 5;

interface CopyRun {
  recordsPerSec: number;
  durationMs: number;
}

const GROUP = { sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, heartbeatIntervalMs: 1_000, maxWaitTimeMs: 200 };

function rawClient(bootstrap: string): Kafka {
  return new Kafka({ clientId: 'bench-raw-copy', brokers: [bootstrap], logLevel: logLevel.ERROR, retry: { retries: 3 } });
}

async function createTopic(bootstrap: string, topic: string): Promise<void> {
  const admin = rawClient(bootstrap).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }] });
  } finally {
    await admin.disconnect();
  }
}

/** What every record of the "traced idempotent" raw copy carries, as the runtime's outputs do. */
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

/**
 * The baseline: consume with auto-commit, produce each batch with a plain producer. `traced`
 * makes it an idempotent producer adding a traceparent header per record, which separates what
 * the header and idempotence cost from what the transactions cost.
 */
async function rawCopy(bootstrap: string, input: string, output: string, groupId: string, traced = false): Promise<CopyRun> {
  await createTopic(bootstrap, output);
  const kafka = rawClient(bootstrap);
  const producer = kafka.producer(traced ? { idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false } : { idempotent: false, allowAutoTopicCreation: false });
  const headers = traced ? { traceparent: TRACEPARENT } : undefined;
  const consumer = kafka.consumer({ groupId, sessionTimeout: GROUP.sessionTimeoutMs, heartbeatInterval: GROUP.heartbeatIntervalMs, maxWaitTimeInMs: GROUP.maxWaitTimeMs });
  await producer.connect();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: input, fromBeginning: true });
    let copied = 0;
    let firstAt = 0;
    const done = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`raw copy moved ${copied} of ${RECORDS} within ${RUN_TIMEOUT_MS} ms`)), RUN_TIMEOUT_MS);
      consumer
        .run({
          partitionsConsumedConcurrently: PARTITIONS,
          eachBatch: async ({ batch }) => {
            if (firstAt === 0) firstAt = performance.now();
            await producer.send({ topic: output, acks: -1, messages: batch.messages.map((m) => ({ key: m.key, value: m.value, headers })) });
            copied += batch.messages.length;
            if (copied >= RECORDS) {
              clearTimeout(timer);
              resolve(performance.now());
            }
          },
        })
        .catch(reject);
    });
    const endedAt = await done;
    const durationMs = endedAt - firstAt;
    return { recordsPerSec: RECORDS / (durationMs / 1000), durationMs };
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
  }
}

/**
 * Raw kafkajs exactly-once copy, without the runtime: read_committed consumer, one
 * transactional producer per input partition, transactions of TXN_RECORDS with the offsets.
 * It is the ceiling kafkajs transactions reach on this broker, to read the runtime's cost against.
 */
async function rawTransactionalCopy(bootstrap: string, input: string, output: string, groupId: string): Promise<CopyRun> {
  await createTopic(bootstrap, output);
  const kafka = rawClient(bootstrap);
  const producers = new Map<number, Producer>();
  const producerFor = async (partition: number): Promise<Producer> => {
    let producer = producers.get(partition);
    if (producer === undefined) {
      producer = kafka.producer({ transactionalId: `${groupId}-${partition}`, idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      await producer.connect();
      producers.set(partition, producer);
    }
    return producer;
  };
  const consumer = kafka.consumer({ groupId, readUncommitted: false, sessionTimeout: GROUP.sessionTimeoutMs, heartbeatInterval: GROUP.heartbeatIntervalMs, maxWaitTimeInMs: GROUP.maxWaitTimeMs });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: input, fromBeginning: true });
    let copied = 0;
    let firstAt = 0;
    const done = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`raw transactional copy moved ${copied} of ${RECORDS} within ${RUN_TIMEOUT_MS} ms`)), RUN_TIMEOUT_MS);
      consumer
        .run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          partitionsConsumedConcurrently: PARTITIONS,
          eachBatch: async ({ batch, resolveOffset }) => {
            if (firstAt === 0) firstAt = performance.now();
            const producer = await producerFor(batch.partition);
            for (let i = 0; i < batch.messages.length; i += TXN_RECORDS) {
              const messages = batch.messages.slice(i, i + TXN_RECORDS);
              const last = messages[messages.length - 1]?.offset ?? batch.lastOffset();
              const transaction = await producer.transaction();
              await transaction.send({ topic: output, acks: -1, messages: messages.map((m) => ({ key: m.key, value: m.value, headers: { traceparent: TRACEPARENT } })) });
              await transaction.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: input, partitions: [{ partition: batch.partition, offset: String(BigInt(last) + 1n) }] }] });
              await transaction.commit();
              resolveOffset(last);
              copied += messages.length;
            }
            if (copied >= RECORDS) {
              clearTimeout(timer);
              resolve(performance.now());
            }
          },
        })
        .catch(reject);
    });
    const endedAt = await done;
    const durationMs = endedAt - firstAt;
    return { recordsPerSec: RECORDS / (durationMs / 1000), durationMs };
  } finally {
    await consumer.disconnect();
    for (const producer of producers.values()) await producer.disconnect();
  }
}

/** The figure: the runtime's transactional copy processor. */
async function processorCopy(bootstrap: string, input: string, output: string, name: string): Promise<CopyRun> {
  await createTopic(bootstrap, output);
  const logger = createLogger({ level: 'warn', name: 'bench-copy' });
  const registry = new Registry();
  let firstAt = 0;
  const copy: Handler<Buffer, Buffer> = async (record) => {
    if (firstAt === 0) firstAt = performance.now();
    return [{ topic: output, key: record.key, value: record.value }];
  };
  const processor = createProcessor<Buffer, Buffer>({
    name,
    kafka: createKafka({ brokers: [bootstrap], clientId: 'bench-processor', logger: logger.child({}, { level: 'error' }) }),
    topics: [input],
    handler: copy,
    decoder: bytesCodec,
    encoder: bytesCodec,
    logger,
    registry,
    group: GROUP,
  });
  await processor.start();
  try {
    const deadline = Date.now() + RUN_TIMEOUT_MS;
    for (;;) {
      const metric = registry.getSingleMetric('paystream_processor_records_in_total');
      const committed = (await metric?.get())?.values.reduce((sum, v) => sum + v.value, 0) ?? 0;
      if (committed >= RECORDS) break;
      if (Date.now() > deadline) throw new Error(`processor committed ${committed} of ${RECORDS} within ${RUN_TIMEOUT_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    }
    const durationMs = performance.now() - firstAt;
    return { recordsPerSec: RECORDS / (durationMs / 1000), durationMs };
  } finally {
    await processor.stop();
  }
}

type Row = { value: number; baseline: number } & Record<string, number | string>;

async function main(): Promise<void> {
  const broker = await startEmbedded(PARTITIONS);
  const rows: Row[] = [];
  try {
    const input = 'bench-runtime-input';
    await createTopic(broker.bootstrap, input);
    await kafkajsProduce(broker.bootstrap, input, RECORDS, VALUE_BYTES, FILL_BATCH);
    for (let run = 0; run < RUNS; run += 1) {
      const raw = () => rawCopy(broker.bootstrap, input, `bench-raw-out-${run}`, `bench-raw-${run}`);
      const txn = () => processorCopy(broker.bootstrap, input, `bench-txn-out-${run}`, `bench-txn-${run}`);
      const traced = () => rawCopy(broker.bootstrap, input, `bench-traced-out-${run}`, `bench-traced-${run}`, true);
      // Alternate the order, so a slow phase of the shared machine hits both.
      let r: CopyRun;
      let p: CopyRun;
      if (run % 2 === 0) {
        p = await txn();
        r = await raw();
      } else {
        r = await raw();
        p = await txn();
      }
      const t = await traced();
      const x = await rawTransactionalCopy(broker.bootstrap, input, `bench-eos-out-${run}`, `bench-eos-${run}`);
      rows.push({
        value: p.recordsPerSec,
        baseline: r.recordsPerSec,
        durationMs: p.durationMs,
        baselineDurationMs: r.durationMs,
        tracedIdempotentRawRecordsPerSec: Math.round(t.recordsPerSec),
        rawTransactionalRecordsPerSec: Math.round(x.recordsPerSec),
      });
      console.log(
        `run ${run + 1}/${RUNS}: transactional processor ${Math.round(p.recordsPerSec)} vs raw kafkajs copy ${Math.round(r.recordsPerSec)} records/s ` +
          `(ratio ${(p.recordsPerSec / r.recordsPerSec).toFixed(3)}); raw idempotent copy with a traceparent header ${Math.round(t.recordsPerSec)}; ` +
          `raw kafkajs transactional copy ${Math.round(x.recordsPerSec)}`,
      );
    }
  } finally {
    await broker.stop();
  }
  recordFigure({
    name: 'runtime-copy',
    unit: 'records/s',
    baselineName: 'raw kafkajs copy (auto-commit consumer + plain producer, no transactions)',
    target: RATIO_TARGET,
    workload: `copy ${RECORDS.toLocaleString('en-US')} records of ${VALUE_BYTES} bytes between topics of ${PARTITIONS} partitions on the embedded broker (child process, data on disk); processor: streams/runtime with a copy handler, transactions of up to 1,000 records per partition; clock from the first record handed over to the last commit/ack. Each run also records tracedIdempotentRawRecordsPerSec: the raw copy with an idempotent producer and a traceparent header per record, as the runtime writes them; and rawTransactionalRecordsPerSec: a raw kafkajs exactly-once copy (read_committed, a transactional producer per partition, transactions of the same size with the offsets), the ceiling kafkajs transactions reach on this broker`,
    runs: rows,
  });
}

await main();
