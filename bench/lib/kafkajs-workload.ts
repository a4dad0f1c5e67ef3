/**
 * kafkajs as the load generator: a plain (non-idempotent) producer sending batches of records
 * with acks=-1, one send at a time, and a group consumer reading them all back.
 */
import { Kafka, logLevel } from 'kafkajs';
import { recordValue } from './records.ts';

/** Bounds a run against a wedged broker; a healthy run takes seconds. */
const RUN_TIMEOUT_MS = 300_000;

export interface KafkajsRun {
  recordsPerSec: number;
  durationMs: number;
}

function client(bootstrap: string, clientId: string): Kafka {
  return new Kafka({ clientId, brokers: [bootstrap], logLevel: logLevel.ERROR, retry: { retries: 3 } });
}

/** Sends `count` records of `valueBytes` in sends of `batchSize`; the clock runs from the first send to the last ack. */
export async function kafkajsProduce(bootstrap: string, topic: string, count: number, valueBytes: number, batchSize: number): Promise<KafkajsRun> {
  const producer = client(bootstrap, 'bench-producer').producer({ allowAutoTopicCreation: true, idempotent: false });
  await producer.connect();
  try {
    const batches: Array<Array<{ value: Buffer }>> = [];
    for (let start = 0; start < count; start += batchSize) {
      const size = Math.min(batchSize, count - start);
      batches.push(Array.from({ length: size }, (_, i) => ({ value: recordValue(start + i, valueBytes) })));
    }
    const started = performance.now();
    for (const messages of batches) await producer.send({ topic, acks: -1, messages });
    const durationMs = performance.now() - started;
    return { recordsPerSec: count / (durationMs / 1000), durationMs };
  } finally {
    await producer.disconnect();
  }
}

/**
 * A group consumer reads `count` records from the beginning. The clock starts at the first
 * batch, so the group join (whose delay differs between brokers) is not part of the rate.
 */
export async function kafkajsConsume(bootstrap: string, topic: string, groupId: string, count: number): Promise<KafkajsRun> {
  const consumer = client(bootstrap, 'bench-consumer').consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 500 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let received = 0;
    let firstAt = 0;
    let firstBatch = 0;
    const done = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`kafkajs consumed ${received} of ${count} records within ${RUN_TIMEOUT_MS} ms`)), RUN_TIMEOUT_MS);
      consumer
        .run({
          eachBatchAutoResolve: true,
          eachBatch: async ({ batch }) => {
            if (firstAt === 0) {
              firstAt = performance.now();
              firstBatch = batch.messages.length;
            }
            received += batch.messages.length;
            if (received >= count) {
              clearTimeout(timer);
              resolve(performance.now());
            }
          },
        })
        .catch(reject);
    });
    const endedAt = await done;
    if (received !== count) throw new Error(`kafkajs consumed ${received} records from ${topic}, expected ${count}`);
    const durationMs = endedAt - firstAt;
    // Records after the first batch over the time after it arrived.
    return { recordsPerSec: (count - firstBatch) / (durationMs / 1000), durationMs };
  } finally {
    await consumer.disconnect();
  }
}
