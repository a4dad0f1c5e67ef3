/**
 * The topic catalogue: every topic paystream uses, in one table. Provisioning creates what is
 * missing and refuses to start when an existing topic disagrees (schemas/provision.ts); the
 * codec derives registry subjects from it (TopicNameStrategy: `<topic>-value`).
 *
 * Keys are UTF-8 strings. Every payment topic is keyed by paymentId, so one payment's records
 * stay in order on one partition through the whole flow.
 */
import type { SchemaName, ValueTypes } from './types.ts';

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

export type ValueFormat =
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
  value: ValueFormat;
  retentionMs: number;
  cleanupPolicy: CleanupPolicy;
  role: TopicRole;
}

/** The value schema of every Avro topic: the one place a topic is tied to its schema. */
export const AVRO_TOPICS = {
  'payments.commands': 'PaymentCommand',
  'payments.routed': 'PaymentRouted',
  'payments.assessed': 'PaymentAssessed',
  'payments.attempts': 'PaymentAttempt',
  'channel.notifications': 'ChannelNotification',
  'payments.events': 'PaymentEvent',
  'payments.repairs': 'PaymentRepair',
  'payments.anomalies': 'PaymentAnomaly',
  'ledger.entries': 'LedgerEntry',
  'metrics.payments.10s': 'PaymentMetricsWindow',
  'metrics.payments.1m': 'PaymentMetricsWindow',
  'metrics.channels.1m': 'ChannelMetricsWindow',
  'ops.logs': 'OpsLog',
  'metrics.ops.1m': 'OpsMetricsWindow',
  'recon.tasks': 'ReconTask',
  'recon.results': 'ReconResult',
  'recon.exceptions': 'ReconException',
  'config.routing-rules': 'RoutingRule',
  'config.channels': 'ChannelSwitch',
  'config.blocklists': 'BlocklistEntry',
  'channel.health': 'ChannelHealth',
} as const satisfies Record<string, SchemaName>;

export type AvroTopic = keyof typeof AVRO_TOPICS;
/** The TypeScript type of a topic's values, e.g. `TopicValue<'payments.commands'>`. */
export type TopicValue<T extends AvroTopic> = ValueTypes[(typeof AVRO_TOPICS)[T]];

function avroValue(name: AvroTopic): TopicSpec['value'] {
  return { kind: 'avro', schema: AVRO_TOPICS[name] };
}

function flow(name: AvroTopic, role: TopicRole, key = 'paymentId'): TopicSpec {
  return { name, partitions: PAYMENT_PARTITIONS, key, value: avroValue(name), retentionMs: PAYMENT_RETENTION_MS, cleanupPolicy: 'delete', role };
}

function metrics(name: AvroTopic, key: string, role: TopicRole = 'output'): TopicSpec {
  return { name, partitions: PAYMENT_PARTITIONS, key, value: avroValue(name), retentionMs: METRICS_RETENTION_MS, cleanupPolicy: 'delete', role };
}

function recon(name: AvroTopic, key: string, role: TopicRole): TopicSpec {
  return { name, partitions: RECON_PARTITIONS, key, value: avroValue(name), retentionMs: RECON_RETENTION_MS, cleanupPolicy: 'delete', role };
}

function config(name: AvroTopic, key: string): TopicSpec {
  return { name, partitions: 1, key, value: avroValue(name), retentionMs: RETENTION_FOREVER, cleanupPolicy: 'compact', role: 'config' };
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
  flow('payments.commands', 'processor-input'),
  flow('payments.routed', 'processor-input'),
  flow('payments.assessed', 'processor-input'),
  flow('payments.attempts', 'processor-input'),
  flow('channel.notifications', 'processor-input'),
  flow('payments.events', 'processor-input'),
  flow('payments.repairs', 'processor-input'),
  flow('payments.anomalies', 'output'),
  flow('ledger.entries', 'output'),
  metrics('metrics.payments.10s', 'dimension:value:currency'),
  metrics('metrics.payments.1m', 'dimension:value:currency'),
  metrics('metrics.channels.1m', 'channelId'),
  { name: 'ops.logs', partitions: PAYMENT_PARTITIONS, key: 'service', value: avroValue('ops.logs'), retentionMs: LOG_RETENTION_MS, cleanupPolicy: 'delete', role: 'processor-input' },
  metrics('metrics.ops.1m', 'service', 'processor-input'),
  recon('recon.tasks', 'runId:bucket', 'processor-input'),
  recon('recon.results', 'runId', 'output'),
  recon('recon.exceptions', 'runId', 'output'),
  config('config.routing-rules', 'ruleId'),
  config('config.channels', 'channelId'),
  config('config.blocklists', 'kind:value'),
  config('channel.health', 'channelId/instanceId'),
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
