/**
 * Topic names and configs: Kafka's naming rules (org.apache.kafka.common.internals.Topic),
 * defaults, validation, and the mapping from CreateTopics config entries to TopicConfig.
 */
import type { TopicConfig } from '../contracts.ts';
import { InvalidTopicConfigError, InvalidTopicNameError } from './errors.ts';
import { MAX_PARTITIONS_PER_TOPIC, MAX_SEGMENT_BYTES, MAX_TOPIC_NAME_LENGTH, MIN_SEGMENT_BYTES } from './limits.ts';

/** Kafka's broker defaults, except segment.bytes which is capped by MAX_SEGMENT_BYTES (same 1 GiB). */
export const DEFAULT_TOPIC_CONFIG: Readonly<TopicConfig> = Object.freeze({
  partitions: 1,
  retentionMs: 7 * 24 * 60 * 60 * 1000,
  retentionBytes: -1,
  cleanupPolicy: 'delete',
  segmentBytes: MAX_SEGMENT_BYTES,
  deleteRetentionMs: 24 * 60 * 60 * 1000,
});

const LEGAL_NAME = /^[a-zA-Z0-9._-]+$/;

export function validateTopicName(name: string): void {
  if (name.length === 0) throw new InvalidTopicNameError(name, 'it is empty');
  if (name.length > MAX_TOPIC_NAME_LENGTH) throw new InvalidTopicNameError(name, `it is longer than ${MAX_TOPIC_NAME_LENGTH} characters`);
  if (name === '.' || name === '..') throw new InvalidTopicNameError(name, 'it cannot be "." or ".."');
  if (!LEGAL_NAME.test(name)) throw new InvalidTopicNameError(name, 'only ASCII letters, digits, ".", "_" and "-" are allowed');
}

function checkInteger(setting: string, value: unknown, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidTopicConfigError(setting, `an integer in [${min}, ${max}]`, value);
  }
}

export function validateTopicConfig(config: TopicConfig): void {
  checkInteger('partitions', config.partitions, 1, MAX_PARTITIONS_PER_TOPIC);
  checkInteger('retention.ms', config.retentionMs, -1, Number.MAX_SAFE_INTEGER);
  checkInteger('retention.bytes', config.retentionBytes, -1, Number.MAX_SAFE_INTEGER);
  checkInteger('segment.bytes', config.segmentBytes, MIN_SEGMENT_BYTES, MAX_SEGMENT_BYTES);
  checkInteger('delete.retention.ms', config.deleteRetentionMs, 0, Number.MAX_SAFE_INTEGER);
  if (!['delete', 'compact', 'compact,delete'].includes(config.cleanupPolicy)) {
    throw new InvalidTopicConfigError('cleanup.policy', '"delete", "compact" or "compact,delete"', config.cleanupPolicy);
  }
}

function parseIntegerSetting(name: string, value: string): number {
  const n = /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isSafeInteger(n)) throw new InvalidTopicConfigError(name, 'an integer', value);
  return n;
}

function parseCleanupPolicy(value: string): TopicConfig['cleanupPolicy'] {
  const parts = new Set(value.split(',').map((p) => p.trim().toLowerCase()));
  const compact = parts.delete('compact');
  const del = parts.delete('delete');
  if (parts.size > 0 || (!compact && !del)) throw new InvalidTopicConfigError('cleanup.policy', 'a list of "compact" and "delete"', value);
  return compact && del ? 'compact,delete' : compact ? 'compact' : 'delete';
}

/**
 * Applies CreateTopics config entries (Kafka names, string values) over `base`. Settings this
 * broker does not implement (replication, compression, ...) are returned in `ignored` so the
 * caller can log them; a null value keeps the base value, as Kafka treats it as "default".
 */
export function applyKafkaConfigs(base: TopicConfig, entries: ReadonlyArray<{ name: string; value: string | null }>): { config: TopicConfig; ignored: string[] } {
  const config = { ...base };
  const ignored: string[] = [];
  for (const { name, value } of entries) {
    if (value === null) continue;
    switch (name) {
      case 'retention.ms':
        config.retentionMs = parseIntegerSetting(name, value);
        break;
      case 'retention.bytes':
        config.retentionBytes = parseIntegerSetting(name, value);
        break;
      case 'segment.bytes':
        config.segmentBytes = parseIntegerSetting(name, value);
        break;
      case 'delete.retention.ms':
        config.deleteRetentionMs = parseIntegerSetting(name, value);
        break;
      case 'cleanup.policy':
        config.cleanupPolicy = parseCleanupPolicy(value);
        break;
      default:
        ignored.push(name);
    }
  }
  validateTopicConfig(config);
  return { config, ignored };
}
