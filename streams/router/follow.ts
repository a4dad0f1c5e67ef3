/**
 * Follows a compacted config topic from its beginning, in a consumer group of its own per
 * instance (each instance needs every key, not a share). `caughtUp` resolves once every
 * partition has been read to the high watermark it had at start, so a router does not route
 * before it has its whole configuration. Records of one fetched batch are handed over
 * together, so a change written as one transaction is applied as one swap.
 */
import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka } from '../../lib/kafka.ts';
import type { Logger } from '../../lib/logger.ts';
import { RouterError } from './errors.ts';

export interface ConfigRecord<V> {
  key: string;
  value: V | null;
}

export interface FollowOptions<V> {
  kafka: Kafka;
  topic: string;
  name: string;
  decode(bytes: Buffer): Promise<V> | V;
  apply(records: readonly ConfigRecord<V>[]): void;
  logger: Logger;
  catchUpTimeoutMs: number;
}

export interface Follower {
  caughtUp: Promise<void>;
  stop(): Promise<void>;
}

export async function followConfig<V>(options: FollowOptions<V>): Promise<Follower> {
  const admin = options.kafka.admin();
  await admin.connect();
  let highs: Map<number, bigint>;
  try {
    const offsets = await admin.fetchTopicOffsets(options.topic);
    highs = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
  } finally {
    await admin.disconnect();
  }
  const pending = new Set([...highs].filter(([, high]) => high > 0n).map(([p]) => p));
  let markCaughtUp: () => void = () => undefined;
  const caughtUp = new Promise<void>((resolve) => {
    markCaughtUp = resolve;
  });
  if (pending.size === 0) markCaughtUp();

  const consumer: Consumer = options.kafka.consumer({ groupId: `${options.name}.${options.topic}.${randomUUID()}`, allowAutoTopicCreation: false, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topics: [options.topic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      const records: ConfigRecord<V>[] = [];
      for (const m of batch.messages) {
        const key = m.key?.toString('utf8');
        if (key === undefined) {
          options.logger.warn({ topic: options.topic, offset: m.offset }, 'config record without a key ignored');
          continue;
        }
        records.push({ key, value: m.value === null ? null : await options.decode(m.value) });
      }
      if (records.length > 0) options.apply(records);
      const high = highs.get(batch.partition) ?? 0n;
      const last = batch.messages[batch.messages.length - 1];
      if (last !== undefined && BigInt(last.offset) + 1n >= high && pending.delete(batch.partition) && pending.size === 0) markCaughtUp();
    },
  });
  const timeout = new Promise<never>((_, reject) => {
    const timer = setTimeout(() => reject(new RouterError('config_catch_up_timeout', `${options.topic} was not read to its end within ${options.catchUpTimeoutMs} ms`, { retriable: true })), options.catchUpTimeoutMs);
    void caughtUp.then(() => clearTimeout(timer));
  });
  return { caughtUp: Promise.race([caughtUp, timeout]), stop: () => consumer.disconnect() };
}
