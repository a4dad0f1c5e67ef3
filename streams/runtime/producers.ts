/**
 * One transactional producer per input partition this instance handles.
 *
 * Why per partition and not per instance: kafkajs sends consumed offsets with TxnOffsetCommit
 * v0, which carries no group generation or member id (KIP-447's fencing), so the broker cannot
 * reject a commit from an instance that has lost the partition in a rebalance. The transactional
 * id is therefore tied to the input partition (`<processor>.<topic>.<partition>`), as Kafka
 * Streams did before KIP-447: whoever takes a partition over, a new instance after a rebalance
 * or the same instance restarted after a crash, initialises the same id, which bumps the epoch,
 * aborts the old owner's open transaction and fences the old producer (its next request fails
 * with PRODUCER_FENCED / INVALID_PRODUCER_EPOCH). A per-instance id would only fence a restart
 * of the same instance, not a zombie whose partition moved elsewhere.
 */
import type { Kafka, Producer } from '../../lib/kafka.ts';
import type { Logger } from '../../lib/logger.ts';

export interface PartitionProducer {
  producer: Producer;
  transactionalId: string;
  /** True until the owner has checked the committed offset after fencing (see processor.ts). */
  fresh: boolean;
}

export interface ProducerPoolOptions {
  kafka: Kafka;
  processor: string;
  logger: Logger;
  transactionTimeoutMs: number;
  allowAutoTopicCreation: boolean;
}

export function transactionalIdFor(processor: string, topic: string, partition: number): string {
  return `${processor}.${topic}.${partition}`;
}

export class ProducerPool {
  private readonly slots = new Map<string, PartitionProducer>();
  private readonly options: ProducerPoolOptions;

  constructor(options: ProducerPoolOptions) {
    this.options = options;
  }

  /**
   * The partition's producer, created, connected and fenced in if there is none: initialising
   * the transactional id aborts whatever a previous owner left open before we read offsets.
   */
  async acquire(topic: string, partition: number): Promise<PartitionProducer> {
    const key = `${topic}\u0000${partition}`;
    const existing = this.slots.get(key);
    if (existing !== undefined) return existing;
    const transactionalId = transactionalIdFor(this.options.processor, topic, partition);
    const producer = this.options.kafka.producer({
      transactionalId,
      idempotent: true,
      // Idempotent ordering with kafkajs needs one request in flight per connection.
      maxInFlightRequests: 1,
      transactionTimeout: this.options.transactionTimeoutMs,
      allowAutoTopicCreation: this.options.allowAutoTopicCreation,
    });
    await producer.connect();
    try {
      // kafkajs initialises the transactional producer id on the first transaction(); an empty
      // transaction ends locally without an EndTxn, so this is only InitProducerId (the fence).
      const fence = await producer.transaction();
      await fence.abort();
    } catch (err) {
      await this.disconnectQuietly(producer, transactionalId);
      throw err;
    }
    const slot: PartitionProducer = { producer, transactionalId, fresh: true };
    this.slots.set(key, slot);
    this.options.logger.debug({ transactionalId }, 'transactional producer ready');
    return slot;
  }

  /** Forgets and disconnects the partition's producer (after it was fenced, or on revocation). */
  async drop(topic: string, partition: number): Promise<void> {
    const key = `${topic}\u0000${partition}`;
    const slot = this.slots.get(key);
    if (slot === undefined) return;
    this.slots.delete(key);
    await this.disconnectQuietly(slot.producer, slot.transactionalId);
  }

  /** Partitions that currently have a producer, as [topic, partition]. */
  partitions(): Array<[string, number]> {
    return [...this.slots.keys()].map((k) => {
      const [topic = '', partition = '0'] = k.split('\u0000');
      return [topic, Number(partition)];
    });
  }

  async closeAll(): Promise<void> {
    const all = [...this.slots.values()];
    this.slots.clear();
    await Promise.all(all.map((s) => this.disconnectQuietly(s.producer, s.transactionalId)));
  }

  private async disconnectQuietly(producer: Producer, transactionalId: string): Promise<void> {
    try {
      await producer.disconnect();
    } catch (err) {
      // Disconnecting a producer whose broker is gone fails; there is nothing left to release.
      this.options.logger.warn({ err, transactionalId }, 'producer disconnect failed');
    }
  }
}
