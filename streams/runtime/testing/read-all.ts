/**
 * Reads a topic read_committed from the beginning up to its current end, for checks that must
 * see everything (duplicates included), not just the first N records. Call it once nothing
 * writes to the topic and no transaction is open, so the end is the high watermark.
 */
import type { Kafka } from '../../../lib/kafka.ts';
import { randomBytes } from 'node:crypto';
import { waitFor } from '../../../test/helpers/wait.ts';

export interface ReadRecord {
  partition: number;
  offset: string;
  key: string | null;
  value: string | null;
}

export async function readAll(kafka: Kafka, topic: string, timeoutMs = 15_000): Promise<ReadRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  const consumer = kafka.consumer({ groupId: `read-all-${randomBytes(4).toString('hex')}`, readUncommitted: false, maxWaitTimeInMs: 200 });
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const records: ReadRecord[] = [];
    const positions = new Map<number, bigint>();
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      positions.set(payload.partition, BigInt(payload.lastOffset) + 1n);
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        records.push({ partition, offset: message.offset, key: message.key?.toString() ?? null, value: message.value?.toString() ?? null });
      },
    });
    await waitFor(() => ends.every((e) => e.high === '0' || (positions.get(e.partition) ?? 0n) >= BigInt(e.high)), {
      timeoutMs,
      message: () => `reading ${topic} to its end ${JSON.stringify(ends)} (at ${JSON.stringify([...positions].map(([p, o]) => [p, String(o)]))})`,
    });
    return records;
  } finally {
    await consumer.disconnect();
    await admin.disconnect();
  }
}
