/**
 * Writes one chunk's effects in one Kafka transaction: the handlers' outputs, the dead letters
 * and the consumed offsets (offset of the chunk's last record + 1, Kafka's "next to read").
 * On any failure the transaction is aborted and nothing of the chunk is visible to
 * read_committed consumers, including the offsets, so the chunk is consumed again.
 */
import type { KafkaMessage, Message, Producer, Transaction } from '../../lib/kafka.ts';
import type { Logger } from '../../lib/logger.ts';
import type { Outcome } from './handle.ts';

export interface Chunk {
  topic: string;
  partition: number;
  groupId: string;
  messages: readonly KafkaMessage[];
  outcomes: readonly Outcome[];
}

/** Outputs and dead letters grouped by topic, in handling order within each topic. */
export function topicMessages(outcomes: readonly Outcome[]): Array<{ topic: string; messages: Message[] }> {
  const byTopic = new Map<string, Message[]>();
  const add = (topic: string, message: Message): void => {
    const list = byTopic.get(topic);
    if (list === undefined) byTopic.set(topic, [message]);
    else list.push(message);
  };
  for (const outcome of outcomes) {
    if (outcome.kind === 'produced') for (const out of outcome.outputs) add(out.topic, out.message);
    else if (outcome.kind === 'retry-later') add(outcome.retry.topic, outcome.retry.message);
    else add(outcome.deadLetter.topic, outcome.deadLetter.message);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

/** True when the chunk committed; false when it was aborted (the caller seeks back). Never rejects. */
export async function commitChunk(producer: Producer, chunk: Chunk, log: Logger): Promise<boolean> {
  const last = chunk.messages[chunk.messages.length - 1];
  if (last === undefined) return true;
  const nextOffset = (BigInt(last.offset) + 1n).toString();
  let transaction: Transaction | undefined;
  try {
    // Inside the try: a fenced producer fails already here, and this function never rejects.
    transaction = await producer.transaction();
    const batches = topicMessages(chunk.outcomes);
    // acks -1 is required for transactional and idempotent produce.
    if (batches.length > 0) await transaction.sendBatch({ topicMessages: batches, acks: -1 });
    await transaction.sendOffsets({ consumerGroupId: chunk.groupId, topics: [{ topic: chunk.topic, partitions: [{ partition: chunk.partition, offset: nextOffset }] }] });
    await transaction.commit();
    return true;
  } catch (err) {
    log.warn({ err, topic: chunk.topic, partition: chunk.partition, firstOffset: chunk.messages[0]?.offset, lastOffset: last.offset }, 'transaction failed; aborting');
    try {
      if (transaction?.isActive() === true) await transaction.abort();
    } catch (abortErr) {
      // A fenced producer cannot abort; the broker already aborted for the new owner, and a
      // timed-out commit is settled by the fence of the producer that replaces this one.
      log.warn({ err: abortErr, topic: chunk.topic, partition: chunk.partition }, 'abort failed');
    }
    return false;
  }
}
