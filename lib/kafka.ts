/**
 * The one Kafka adapter: the only module that imports kafkajs. Everything else gets a client
 * from `createKafka` and the types re-exported here, so the client library can be swapped or
 * wrapped in one place. Options are explicit (no kafkajs defaults left implicit), and kafkajs's
 * own log lines go to the process's pino logger.
 *
 * An idempotent (non-transactional) kafkajs producer is exactly-once only for one `send` at a time:
 * a request that dies with its connection gives its sequence numbers back, and a concurrent send
 * can then take them, so after a broker restart one batch is answered as a duplicate of another
 * and the other is stored twice (test/integration/broker-restart.test.ts). Send one at a time
 * through such a producer, use a transaction, or make the records deduplicable downstream.
 */
import kafkajs, { type LogEntry, type logCreator } from 'kafkajs';
import type { Logger } from './logger.ts';
import type { HostPort } from './config.ts';

// kafkajs is CommonJS and builds its error exports dynamically, so Node's ESM loader cannot
// see them as named exports; take everything from the default (module.exports) instead.
const { Kafka, KafkaJSServerDoesNotSupportApiKey, logLevel, Partitioners } = kafkajs;
type Kafka = InstanceType<typeof Kafka>;
type logLevel = (typeof logLevel)[keyof typeof logLevel];

export type {
  Admin,
  Consumer,
  ConsumerConfig,
  EachBatchPayload,
  EachMessagePayload,
  IHeaders,
  ITopicConfig,
  ITopicMetadata,
  KafkaMessage,
  Message,
  Producer,
  ProducerConfig,
  RecordMetadata,
  Transaction,
} from 'kafkajs';
export type { Kafka };

/** How long a TCP connect to a broker may take before kafkajs tries the next one. */
export const KAFKA_CONNECTION_TIMEOUT_MS = 3_000;
/** Upper bound on one request; a transactional EndTxn on a loaded broker stays well below it. */
export const KAFKA_REQUEST_TIMEOUT_MS = 30_000;
/** kafkajs client-level retries for retriable errors (connection loss, leader moves). */
export const KAFKA_RETRIES = 8;
export const KAFKA_RETRY_INITIAL_MS = 100;
export const KAFKA_RETRY_MAX_MS = 5_000;

export interface KafkaOptions {
  /** Bootstrap servers as "host:port" strings or parsed host/port pairs. */
  brokers: readonly (string | HostPort)[];
  clientId: string;
  logger: Logger;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  retry?: { retries: number; initialRetryTimeMs: number; maxRetryTimeMs: number };
}

/** kafkajs levels → pino methods. kafkajs's NOTHING (0) never reaches a log creator. */
function pinoBridge(logger: Logger): logCreator {
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, ...rest } = log;
      const fields = { kafkajs: namespace, ...rest };
      switch (level) {
        case logLevel.ERROR:
          logger.error(fields, message);
          break;
        case logLevel.WARN:
          logger.warn(fields, message);
          break;
        case logLevel.INFO:
          logger.info(fields, message);
          break;
        default:
          logger.debug(fields, message);
      }
    };
}

/** kafkajs level matching the pino logger's, so kafkajs does not build lines pino drops. */
function kafkaLogLevel(logger: Logger): logLevel {
  switch (logger.level) {
    case 'trace':
    case 'debug':
      return logLevel.DEBUG;
    case 'info':
      return logLevel.INFO;
    case 'warn':
      return logLevel.WARN;
    case 'silent':
      return logLevel.NOTHING;
    default:
      return logLevel.ERROR;
  }
}

export function createKafka(options: KafkaOptions): Kafka {
  const retry = options.retry ?? { retries: KAFKA_RETRIES, initialRetryTimeMs: KAFKA_RETRY_INITIAL_MS, maxRetryTimeMs: KAFKA_RETRY_MAX_MS };
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers.map((b) => (typeof b === 'string' ? b : `${b.host}:${b.port}`)),
    connectionTimeout: options.connectionTimeoutMs ?? KAFKA_CONNECTION_TIMEOUT_MS,
    requestTimeout: options.requestTimeoutMs ?? KAFKA_REQUEST_TIMEOUT_MS,
    enforceRequestTimeout: true,
    retry: { retries: retry.retries, initialRetryTime: retry.initialRetryTimeMs, maxRetryTime: retry.maxRetryTimeMs },
    logLevel: kafkaLogLevel(options.logger),
    logCreator: pinoBridge(options.logger.child({ component: 'kafkajs' })),
  });
}

/** Walks kafkajs's wrapping (retriers keep the first error as `cause` or `originalError`). */
function causes(err: unknown): unknown[] {
  const out: unknown[] = [];
  const seen = new Set<unknown>();
  for (let e: unknown = err; typeof e === 'object' && e !== null && !seen.has(e) && out.length < 10; ) {
    seen.add(e);
    out.push(e);
    const { cause, originalError } = e as { cause?: unknown; originalError?: unknown };
    e = cause ?? originalError;
  }
  return out;
}

/** True when the broker does not offer the API a call needs (e.g. DescribeConfigs). */
export function isUnsupportedApi(err: unknown): boolean {
  return causes(err).some((e) => e instanceof KafkaJSServerDoesNotSupportApiKey);
}

/** The Kafka protocol error names (kafkajs `type`, e.g. 'TOPIC_ALREADY_EXISTS') in an error's chain. */
export function kafkaErrorTypes(err: unknown): string[] {
  const types: string[] = [];
  for (const e of causes(err)) {
    const { type, errors } = e as { type?: unknown; errors?: unknown };
    if (typeof type === 'string') types.push(type);
    if (Array.isArray(errors)) for (const inner of errors) types.push(...kafkaErrorTypes(inner));
  }
  return types;
}

/**
 * Producers pass this explicitly: kafkajs's default partitioner, which hashes keys with murmur2
 * like the Java client, so kafkajs and JVM producers put one paymentId on the same partition.
 */
export const JAVA_COMPATIBLE_PARTITIONER = Partitioners.DefaultPartitioner;

/** kafkajs's config resource type for topics (ConfigResourceTypes.TOPIC). */
export const TOPIC_RESOURCE_TYPE = 2;
