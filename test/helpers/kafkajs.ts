/**
 * kafkajs clients and an in-process broker for conformance and integration tests: quiet logs,
 * short retries and timeouts so tests are fast, and a scope that tears everything down in
 * reverse order (clients before the broker) when the test ends.
 */
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Admin, type Consumer, type ConsumerConfig, type EachMessagePayload, type Producer, type ProducerConfig } from 'kafkajs';
import { startBroker, type EmbeddedBroker, type EmbeddedBrokerOptions } from '../../ops/embedded/kafka/index.ts';
import { createLogger } from '../../lib/logger.ts';
import { tempDir, waitFor, type TestOwner } from './wait.ts';

/** Group timings for tests: fast heartbeats so rebalances finish in well under a second. */
export const TEST_SESSION_TIMEOUT_MS = 6_000;
export const TEST_REBALANCE_TIMEOUT_MS = 5_000;
export const TEST_HEARTBEAT_INTERVAL_MS = 300;
/** Short long-polls so kafkajs reaches its heartbeat between fetches quickly. */
export const TEST_MAX_WAIT_MS = 300;
export const TEST_INITIAL_REBALANCE_DELAY_MS = 100;
export const TEST_TRANSACTION_CHECK_INTERVAL_MS = 200;

/** Runs cleanups last-in first-out when the owning test ends. */
export class Scope {
  private readonly cleanups: Array<{ what: string; fn: () => unknown }> = [];

  constructor(owner: TestOwner) {
    owner.after(() => this.close());
  }

  defer(what: string, fn: () => unknown): void {
    this.cleanups.push({ what, fn });
  }

  async close(): Promise<void> {
    const errors: Error[] = [];
    for (let c = this.cleanups.pop(); c !== undefined; c = this.cleanups.pop()) {
      try {
        await c.fn();
      } catch (err) {
        errors.push(new Error(`cleanup "${c.what}" failed`, { cause: err }));
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, `${errors.length} cleanup(s) failed`);
  }
}

export interface TestBroker {
  broker: EmbeddedBroker;
  bootstrap: string;
  dataDir: string;
  /** The broker's recent log lines (JSON), for failure messages; kept in memory, not printed. */
  logs(): string;
}

/** Broker log lines kept in memory per test broker; older lines are dropped. */
const BROKER_LOG_LINES_MAX = 2_000;

/** Starts the broker in this process on a fresh data dir and a free port. */
export async function startTestBroker(scope: Scope, options: Partial<EmbeddedBrokerOptions> = {}): Promise<TestBroker> {
  const dir = tempDir('kafkajs-broker', { after: (fn) => scope.defer('remove data dir', fn) });
  const lines: string[] = [];
  const destination = {
    write(line: string): void {
      lines.push(line);
      if (lines.length > BROKER_LOG_LINES_MAX) lines.splice(0, lines.length - BROKER_LOG_LINES_MAX);
    },
  };
  const logger = createLogger({ level: 'info', name: 'kafka-broker', destination });
  const broker = await startBroker(
    {
      dataDir: dir.path,
      host: '127.0.0.1',
      port: 0,
      autoCreateTopics: true,
      groupInitialRebalanceDelayMs: TEST_INITIAL_REBALANCE_DELAY_MS,
      transactionCheckIntervalMs: TEST_TRANSACTION_CHECK_INTERVAL_MS,
      ...options,
    },
    { logger },
  );
  scope.defer('close broker', () => broker.close());
  return { broker, bootstrap: broker.bootstrap, dataDir: dir.path, logs: () => lines.join('') };
}

/** A unique topic, group or transactional id, so tests never share state. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export function newKafka(bootstrap: string, clientId = uniqueName('test-client'), retries = 5): Kafka {
  return new Kafka({
    clientId,
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3_000,
    requestTimeout: 15_000,
    retry: { retries, initialRetryTime: 50, maxRetryTime: 1_000 },
  });
}

export async function connectedProducer(scope: Scope, kafka: Kafka, config: ProducerConfig = {}): Promise<Producer> {
  const producer = kafka.producer({ allowAutoTopicCreation: true, ...config });
  await producer.connect();
  scope.defer('disconnect producer', () => producer.disconnect());
  return producer;
}

export async function connectedAdmin(scope: Scope, kafka: Kafka): Promise<Admin> {
  const admin = kafka.admin();
  await admin.connect();
  scope.defer('disconnect admin', () => admin.disconnect());
  return admin;
}

export function testConsumerConfig(groupId: string, extra: Partial<ConsumerConfig> = {}): ConsumerConfig {
  return {
    groupId,
    sessionTimeout: TEST_SESSION_TIMEOUT_MS,
    rebalanceTimeout: TEST_REBALANCE_TIMEOUT_MS,
    heartbeatInterval: TEST_HEARTBEAT_INTERVAL_MS,
    maxWaitTimeInMs: TEST_MAX_WAIT_MS,
    retry: { retries: 5, initialRetryTime: 50, maxRetryTime: 1_000 },
    ...extra,
  };
}

export async function connectedConsumer(scope: Scope, kafka: Kafka, groupId: string, extra: Partial<ConsumerConfig> = {}): Promise<Consumer> {
  const consumer = kafka.consumer(testConsumerConfig(groupId, extra));
  await consumer.connect();
  scope.defer('disconnect consumer', () => consumer.disconnect());
  return consumer;
}

export interface Received {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

/** Collects what a running consumer receives and waits for counts with a deadline. */
export class Collector {
  readonly messages: Received[] = [];

  readonly eachMessage = async ({ topic, partition, message }: EachMessagePayload): Promise<void> => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(message.headers ?? {})) {
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.map((x) => x.toString()).join(',') : v.toString();
    }
    this.messages.push({
      topic,
      partition,
      offset: Number(message.offset),
      key: message.key === null ? null : message.key.toString(),
      value: message.value === null ? null : message.value.toString(),
      headers,
    });
  };

  async waitForCount(count: number, timeoutMs = 15_000): Promise<Received[]> {
    await waitFor(() => this.messages.length >= count, {
      timeoutMs,
      message: () => `${count} messages (have ${this.messages.length}: ${JSON.stringify(this.messages.slice(-5))})`,
    });
    return this.messages;
  }
}

/** Subscribes from the beginning, runs, and returns once `count` messages arrived. */
export async function consumeCount(
  scope: Scope,
  kafka: Kafka,
  topic: string,
  count: number,
  extra: Partial<ConsumerConfig> = {},
  timeoutMs = 15_000,
): Promise<Received[]> {
  const consumer = await connectedConsumer(scope, kafka, uniqueName('g'), extra);
  const collector = new Collector();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: collector.eachMessage });
  try {
    return [...(await collector.waitForCount(count, timeoutMs))];
  } finally {
    await consumer.disconnect();
  }
}

/** Every kafkajs protocol error type (e.g. 'INVALID_PRODUCER_EPOCH') in an error's cause chain. */
export function kafkaErrorTypes(err: unknown): string[] {
  const types: string[] = [];
  const seen = new Set<unknown>();
  const visit = (e: unknown, depth: number): void => {
    if (depth > 10 || typeof e !== 'object' || e === null || seen.has(e)) return;
    seen.add(e);
    const { type, cause, originalError, errors } = e as { type?: unknown; cause?: unknown; originalError?: unknown; errors?: unknown };
    if (typeof type === 'string') types.push(type);
    visit(cause, depth + 1);
    visit(originalError, depth + 1);
    if (Array.isArray(errors)) for (const inner of errors) visit(inner, depth + 1);
  };
  visit(err, 0);
  return types;
}

/** Resolves with the error a promise rejects with; fails if it resolves. */
export async function rejection(promise: Promise<unknown>, what: string): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error(`expected ${what} to fail, but it succeeded`);
}
