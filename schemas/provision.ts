/**
 * Provisioning: make the cluster match the catalogue at start. Missing topics are created;
 * existing ones are checked and any disagreement stops the process with a CatalogueDriftError
 * naming the topic and the field, before anything is created, because a wrong partition count
 * silently breaks per-payment ordering and a wrong cleanup policy silently loses data.
 *
 * What is checked: the partition count always (from Metadata). cleanup.policy and retention.ms
 * through DescribeConfigs when the broker offers it; the embedded broker does not (it
 * advertises no DescribeConfigs), so there the configs are set at creation but cannot be
 * verified afterwards, and the report says `configsChecked: false`.
 */
import type { Admin, Kafka } from '../lib/kafka.ts';
import { isUnsupportedApi, TOPIC_RESOURCE_TYPE } from '../lib/kafka.ts';
import type { Logger } from '../lib/logger.ts';
import { PaystreamError } from '../lib/errors.ts';
import { CATALOGUE, topicConfigEntries, type TopicSpec } from './catalogue.ts';

/** How long CreateTopics may wait for the new partitions to get leaders. */
export const CREATE_TOPICS_TIMEOUT_MS = 30_000;

export type DriftField = 'partitions' | 'cleanup.policy' | 'retention.ms';

export interface Drift {
  topic: string;
  field: DriftField;
  expected: string;
  actual: string;
}

export class CatalogueDriftError extends PaystreamError<'catalogue_drift'> {
  readonly drifts: readonly Drift[];

  constructor(drifts: readonly Drift[]) {
    const lines = drifts.map((d) => `topic ${d.topic}: ${d.field} is ${d.actual}, the catalogue says ${d.expected}`);
    super('catalogue_drift', `existing topics disagree with the catalogue:\n  ${lines.join('\n  ')}`);
    this.name = 'CatalogueDriftError';
    this.drifts = drifts;
  }
}

export interface ProvisionReport {
  created: string[];
  existing: string[];
  /** False when the broker cannot describe topic configs, so only partitions were compared. */
  configsChecked: boolean;
}

export interface ProvisionOptions {
  /** 1 on the embedded single-node broker; 3 on the production cluster. */
  replicationFactor: number;
  logger: Logger;
}

async function partitionCounts(admin: Admin, topics: string[]): Promise<Map<string, number>> {
  if (topics.length === 0) return new Map();
  const { topics: metadata } = await admin.fetchTopicMetadata({ topics });
  return new Map(metadata.map((t) => [t.name, t.partitions.length]));
}

/** The catalogue-owned configs of existing topics, or undefined when the broker cannot tell. */
async function describedConfigs(admin: Admin, topics: string[]): Promise<Map<string, Map<string, string>> | undefined> {
  if (topics.length === 0) return new Map();
  try {
    const { resources } = await admin.describeConfigs({
      resources: topics.map((name) => ({ type: TOPIC_RESOURCE_TYPE, name, configNames: ['cleanup.policy', 'retention.ms'] })),
      includeSynonyms: false,
    });
    return new Map(resources.map((r) => [r.resourceName, new Map(r.configEntries.map((e) => [e.configName, e.configValue]))]));
  } catch (err) {
    if (isUnsupportedApi(err)) return undefined;
    throw err;
  }
}

/** Every way the existing topics differ from their catalogue entries. */
export async function findDrift(admin: Admin, specs: readonly TopicSpec[], existing: ReadonlySet<string>): Promise<{ drifts: Drift[]; configsChecked: boolean }> {
  const present = specs.filter((s) => existing.has(s.name));
  const names = present.map((s) => s.name);
  const counts = await partitionCounts(admin, names);
  const configs = await describedConfigs(admin, names);
  const drifts: Drift[] = [];
  for (const spec of present) {
    const partitions = counts.get(spec.name);
    if (partitions !== spec.partitions) {
      drifts.push({ topic: spec.name, field: 'partitions', expected: String(spec.partitions), actual: String(partitions ?? 'missing') });
    }
    const actual = configs?.get(spec.name);
    if (actual === undefined) continue;
    for (const { name, value } of topicConfigEntries(spec)) {
      const got = actual.get(name);
      if (got !== value) drifts.push({ topic: spec.name, field: name as DriftField, expected: value, actual: got ?? 'unset' });
    }
  }
  return { drifts, configsChecked: configs !== undefined };
}

/**
 * Creates the missing topics of `specs` and verifies the existing ones. Idempotent: a second
 * run creates nothing. Two instances starting together are fine: a topic the other created
 * first counts as existing and is verified like any other.
 */
export async function provisionTopics(admin: Admin, specs: readonly TopicSpec[], options: ProvisionOptions): Promise<ProvisionReport> {
  const before = new Set(await admin.listTopics());
  const first = await findDrift(admin, specs, before);
  if (first.drifts.length > 0) throw new CatalogueDriftError(first.drifts);
  const missing = specs.filter((s) => !before.has(s.name));
  if (missing.length > 0) {
    await admin.createTopics({
      topics: missing.map((s) => ({ topic: s.name, numPartitions: s.partitions, replicationFactor: options.replicationFactor, configEntries: topicConfigEntries(s) })),
      waitForLeaders: true,
      timeout: CREATE_TOPICS_TIMEOUT_MS,
    });
    // Re-check what was just created (or raced in by another instance) against the catalogue.
    const after = await findDrift(admin, missing, new Set(missing.map((s) => s.name)));
    if (after.drifts.length > 0) throw new CatalogueDriftError(after.drifts);
  }
  const report: ProvisionReport = {
    created: missing.map((s) => s.name),
    existing: specs.filter((s) => before.has(s.name)).map((s) => s.name),
    configsChecked: first.configsChecked,
  };
  options.logger.info(report, report.configsChecked ? 'topics provisioned' : 'topics provisioned; this broker cannot describe topic configs, so only partition counts were verified');
  return report;
}

/** The start-up step: provisions the whole catalogue with an admin client of its own. */
export async function provisionCatalogue(kafka: Kafka, options: ProvisionOptions): Promise<ProvisionReport> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await provisionTopics(admin, CATALOGUE, options);
  } finally {
    await admin.disconnect();
  }
}
