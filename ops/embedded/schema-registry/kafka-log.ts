/**
 * The registry's log on Kafka: one partition of the compacted `_schemas` topic. A consumer
 * reads it from the beginning and feeds every record to the state; `append` produces a record
 * and resolves once the consumer has read past it, so the caller sees its own write in the state
 * together with everything other instances wrote before it.
 *
 * Start-up writes a NOOP record and waits for it, which proves the whole log up to that point
 * has been applied even when compaction left gaps at the end (Confluent's registry does the same).
 */
import { randomBytes } from 'node:crypto';
import { JAVA_COMPATIBLE_PARTITIONER, type Consumer, type Kafka, type Producer } from '../../../lib/kafka.ts';
import type { Logger } from '../../../lib/logger.ts';
import { provisionTopics } from '../../../schemas/provision.ts';
import { SCHEMAS_TOPIC, topicSpec } from '../../../schemas/catalogue.ts';
import { RegistryError } from './errors.ts';
import { encodeKey } from './records.ts';
import { LOG_FETCH_MAX_WAIT_MS, READ_BACK_TIMEOUT_MS, STARTUP_READ_TIMEOUT_MS } from './limits.ts';
import type { RegistryLog } from './service.ts';

export const NOOP_KEY = encodeKey({ keytype: 'NOOP', magic: 0 });

/** Consumer group timings: the registry reads one partition, so only liveness matters. */
const SESSION_TIMEOUT_MS = 10_000;
const HEARTBEAT_INTERVAL_MS = 1_000;

export interface KafkaLogOptions {
  kafka: Kafka;
  /** `_schemas` unless a test isolates itself. */
  topic: string;
  replicationFactor: number;
  logger: Logger;
  onRecord: (key: string, value: string | null, offset: number) => void;
}

interface Waiter {
  offset: number;
  resolve: () => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

class KafkaRegistryLog implements RegistryLog {
  /** The next offset the consumer will apply. */
  private position = 0;
  private waiters: Waiter[] = [];
  private closed = false;

  constructor(
    private readonly options: KafkaLogOptions,
    private readonly producer: Producer,
    private readonly consumer: Consumer,
  ) {}

  applied(key: string, value: string | null, offset: number): void {
    this.options.onRecord(key, value, offset);
    this.position = offset + 1;
    const done = this.waiters.filter((w) => w.offset < this.position);
    this.waiters = this.waiters.filter((w) => w.offset >= this.position);
    for (const w of done) {
      clearTimeout(w.timer);
      w.resolve();
    }
  }

  private readBack(offset: number, timeoutMs: number): Promise<void> {
    if (offset < this.position) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new RegistryError('store_timeout', `Record at offset ${offset} of ${this.options.topic} was not read back within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = { offset, resolve, reject, timer };
      this.waiters.push(waiter);
    });
  }

  async append(key: string, value: string | null, timeoutMs = READ_BACK_TIMEOUT_MS): Promise<void> {
    if (this.closed) throw new RegistryError('store_error', 'The registry is shutting down');
    let offset: number;
    try {
      const [result] = await this.producer.send({ topic: this.options.topic, acks: -1, messages: [{ key, value, partition: 0 }] });
      offset = Number(result?.baseOffset);
    } catch (err) {
      throw new RegistryError('store_error', `Could not write to ${this.options.topic}`, { cause: err });
    }
    if (!Number.isSafeInteger(offset)) throw new Error(`produce to ${this.options.topic} returned no offset`);
    await this.readBack(offset, timeoutMs);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.reject(new RegistryError('store_error', 'The registry is shutting down'));
    }
    this.waiters = [];
    await this.consumer.disconnect();
    await this.producer.disconnect();
  }
}

/** Ensures the topic, starts reading it, and resolves once the state holds the whole log. */
export async function openKafkaLog(options: KafkaLogOptions): Promise<RegistryLog> {
  const { kafka, topic, logger } = options;
  const spec = topicSpec(SCHEMAS_TOPIC);
  if (spec === undefined) throw new Error('the catalogue has no _schemas topic');
  const admin = kafka.admin();
  await admin.connect();
  try {
    await provisionTopics(admin, [{ ...spec, name: topic }], { replicationFactor: options.replicationFactor, logger });
  } finally {
    await admin.disconnect();
  }
  // Not idempotent: a record duplicated by a retry is harmless here (the copy of a SCHEMA record
  // conflicts with the original and is ignored; CONFIG, DELETE_SUBJECT and NOOP repeat safely).
  const producer = kafka.producer({ maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: JAVA_COMPATIBLE_PARTITIONER });
  // A group of its own: every instance reads the whole log and commits nothing.
  const consumer = kafka.consumer({
    groupId: `schema-registry-${randomBytes(6).toString('hex')}`,
    sessionTimeout: SESSION_TIMEOUT_MS,
    heartbeatInterval: HEARTBEAT_INTERVAL_MS,
    maxWaitTimeInMs: LOG_FETCH_MAX_WAIT_MS,
    allowAutoTopicCreation: false,
  });
  const log = new KafkaRegistryLog(options, producer, consumer);
  consumer.on(consumer.events.CRASH, (event) => logger.error({ err: event.payload.error, restart: event.payload.restart }, 'schema log consumer crashed'));
  try {
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        log.applied(message.key?.toString('utf8') ?? '', message.value === null ? null : message.value.toString('utf8'), Number(message.offset));
      },
    });
    await log.append(NOOP_KEY, null, STARTUP_READ_TIMEOUT_MS);
  } catch (err) {
    await log.close().catch((closeErr: unknown) => logger.warn({ err: closeErr }, 'closing the schema log after a failed start failed'));
    throw err;
  }
  return log;
}
