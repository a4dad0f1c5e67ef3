/**
 * The topic catalogue: every topic paystream uses, in one table. Provisioning creates what is
 * missing and refuses to start when an existing topic disagrees (schemas/provision.ts); the
 * codec derives registry subjects from it (TopicNameStrategy: `<topic>-value`).
 *
 * Keys are UTF-8 strings. Every payment topic is keyed by paymentId, so one payment's records
 * stay in order on one partition through the whole flow.
 */
import type { SchemaName } from './types.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Payment flow topics: a week covers a long weekend of a stalled consumer plus replays. */
export const PAYMENT_RETENTION_MS = 7 * DAY_MS;
/** Metric windows: a month, for analysts' back-fills. */
export const METRICS_RETENTION_MS = 30 * DAY_MS;
/** Shipped logs: three days; Zabbix and the log store keep the long history. */
export const LOG_RETENTION_MS = 3 * DAY_MS;
/** Reconciliation: two weeks, so a run can be inspected after a following weekend. */
export const RECON_RETENTION_MS = 14 * DAY_MS;
/** Dead letters: a month for operators to inspect, fix and replay. */
export const DLQ_RETENTION_MS = 30 * DAY_MS;
/** Kafka's "keep forever" value, used by compacted topics. */
export const RETENTION_FOREVER = -1;

/** Partitions of the payment flow: the ceiling on consumer instances per processor. */
export const PAYMENT_PARTITIONS = 6;
/** Reconciliation hash buckets: one per worker at most. */
export const RECON_PARTITIONS = 8;
/** Dead letters are rare; three partitions keep per-key order without wasting files. */
export const DLQ_PARTITIONS = 3;
/** Upper bound asserted by the catalogue test, far above anything here. */
export const CATALOGUE_PARTITIONS_MAX = 256;

export type CleanupPolicy = 'delete' | 'compact';

export type TopicValue =
  /** Avro in the Confluent wire format, under subject `<topic>-value`. */
  | { kind: 'avro'; schema: SchemaName }
  /** The failed record's original bytes; the reason is in headers (schemas/DeadLetter.avsc). */
  | { kind: 'dead-letter' }
  /** Schema registry storage, owned by the registry (JSON keys and values). */
  | { kind: 'registry' };

export type TopicRole =
  /** Consumed by a processor through the runtime: gets a `<topic>.dlq`. */
  | 'processor-input'
  /** Written by a processor, read by people and external systems. */
  | 'output'
  /** A compacted table of settings, read whole at start. */
  | 'config'
  | 'dead-letter'
  | 'internal';

export interface TopicSpec {
  name: string;
  partitions: number;
  /** What the record key holds. */
  key: string;
  value: TopicValue;
  retentionMs: number;
  cleanupPolicy: CleanupPolicy;
  role: TopicRole;
}

function flow(name: string, schema: SchemaName, role: TopicRole, key = 'paymentId'): TopicSpec {
  return { name, partitions: PAYMENT_PARTITIONS, key, value: { kind: 'avro', schema }, retentionMs: PAYMENT_RETENTION_MS, cleanupPolicy: 'delete', role };
}

function metrics(name: string, schema: SchemaName, key: string, role: TopicRole = 'output'): TopicSpec {
  return { name, partitions: PAYMENT_PARTITIONS, key, value: { kind: 'avro', schema }, retentionMs: METRICS_RETENTION_MS, cleanupPolicy: 'delete', role };
}

function recon(name: string, schema: SchemaName, key: string, role: TopicRole): TopicSpec {
  return { name, partitions: RECON_PARTITIONS, key, value: { kind: 'avro', schema }, retentionMs: RECON_RETENTION_MS, cleanupPolicy: 'delete', role };
}

function config(name: string, schema: SchemaName, key: string): TopicSpec {
  return { name, partitions: 1, key, value: { kind: 'avro', schema }, retentionMs: RETENTION_FOREVER, cleanupPolicy: 'compact', role: 'config' };
}

/** The dead-letter topic of a processor input. */
export function dlqName(topic: string): string {
  return `${topic}.dlq`;
}

/** The registry subject of a topic's values (Confluent's TopicNameStrategy). */
export function valueSubject(topic: string): string {
  return `${topic}-value`;
}

export const SCHEMAS_TOPIC = '_schemas';

const BASE: readonly TopicSpec[] = [
  flow('payments.commands', 'PaymentCommand', 'processor-input'),
  flow('payments.routed', 'PaymentRouted', 'processor-input'),
  flow('payments.assessed', 'PaymentAssessed', 'processor-input'),
  flow('payments.attempts', 'PaymentAttempt', 'processor-input'),
  flow('channel.notifications', 'ChannelNotification', 'processor-input'),
  flow('payments.events', 'PaymentEvent', 'processor-input'),
  flow('ledger.entries', 'LedgerEntry', 'output'),
  metrics('metrics.payments.1m', 'PaymentMetricsWindow', 'merchantId:currency'),
  metrics('metrics.channels.1m', 'ChannelMetricsWindow', 'channelId'),
  { name: 'ops.logs', partitions: PAYMENT_PARTITIONS, key: 'service', value: { kind: 'avro', schema: 'OpsLog' }, retentionMs: LOG_RETENTION_MS, cleanupPolicy: 'delete', role: 'processor-input' },
  metrics('metrics.ops.1m', 'OpsMetricsWindow', 'service', 'processor-input'),
  recon('recon.tasks', 'ReconTask', 'runId:bucket', 'processor-input'),
  recon('recon.results', 'ReconResult', 'runId', 'output'),
  recon('recon.exceptions', 'ReconException', 'runId', 'output'),
  config('config.routing-rules', 'RoutingRule', 'ruleId'),
  config('config.channels', 'ChannelSwitch', 'channelId'),
  { name: SCHEMAS_TOPIC, partitions: 1, key: 'registry record key (JSON)', value: { kind: 'registry' }, retentionMs: RETENTION_FOREVER, cleanupPolicy: 'compact', role: 'internal' },
];

function deadLetters(topics: readonly TopicSpec[]): TopicSpec[] {
  return topics
    .filter((t) => t.role === 'processor-input')
    .map((t) => ({ name: dlqName(t.name), partitions: DLQ_PARTITIONS, key: `${t.key} (the original key)`, value: { kind: 'dead-letter' }, retentionMs: DLQ_RETENTION_MS, cleanupPolicy: 'delete', role: 'dead-letter' }));
}

export const CATALOGUE: readonly TopicSpec[] = Object.freeze([...BASE, ...deadLetters(BASE)].map((t) => Object.freeze(t)));

export function topicSpec(name: string): TopicSpec | undefined {
  return CATALOGUE.find((t) => t.name === name);
}

/** Kafka topic configs the catalogue owns, as CreateTopics/DescribeConfigs name/value pairs. */
export function topicConfigEntries(spec: TopicSpec): Array<{ name: string; value: string }> {
  return [
    { name: 'cleanup.policy', value: spec.cleanupPolicy },
    { name: 'retention.ms', value: String(spec.retentionMs) },
  ];
}
