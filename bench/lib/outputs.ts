import type { Kafka } from '../../lib/kafka.ts';

/** Waits until `count` records of `topic` can be read committed, or throws after `timeoutMs`. */
export async function countOutputs(kafka: Kafka, topic: string, count: number, groupId: string, timeoutMs: number, maxWaitTimeInMs = 100): Promise<void> {
  const reader = kafka.consumer({ groupId, maxWaitTimeInMs, readUncommitted: false });
  await reader.connect();
  await reader.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  const startedMs = Date.now();
  await reader.run({ eachBatch: async ({ batch }) => void (seen += batch.messages.length) });
  while (seen < count) {
    if (Date.now() - startedMs > timeoutMs) throw new Error(`${topic}: ${seen} of ${count} in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
  await reader.disconnect();
}
