/**
 * One cleanup pass over a partition according to its cleanup.policy: retention for `delete`,
 * compaction for `compact`, both (retention first) for `compact,delete`.
 */
import type { Logger } from 'pino';
import { compactLog, type CompactionResult } from './compaction.ts';
import type { SegmentedPartitionLog } from './partition-log.ts';
import { applyRetention, type RetentionResult } from './retention.ts';

export interface CleanupResult {
  retention?: RetentionResult;
  compaction?: CompactionResult;
}

/**
 * What the last compaction saw, so an unchanged log is not decoded again on every tick: a new
 * run is due when records were appended, segments changed, or a kept tombstone has expired.
 */
const lastCompaction = new WeakMap<SegmentedPartitionLog, { endOffset: number; segments: number; tombstoneExpiryMs: number }>();

export function cleanPartition(log: SegmentedPartitionLog, nowMs: number, logger: Logger): CleanupResult {
  const policy = log.config.cleanupPolicy;
  const result: CleanupResult = {};
  if (policy === 'delete' || policy === 'compact,delete') result.retention = applyRetention(log, nowMs, logger);
  if (policy === 'compact' || policy === 'compact,delete') {
    const last = lastCompaction.get(log);
    const unchanged = last !== undefined && last.endOffset === log.logEndOffset() && last.segments === log.segments.length && nowMs <= last.tombstoneExpiryMs;
    if (!unchanged) {
      const compaction = compactLog(log, nowMs, logger);
      result.compaction = compaction;
      const tombstoneExpiryMs = compaction.oldestTombstoneMs === undefined ? Infinity : compaction.oldestTombstoneMs + log.config.deleteRetentionMs;
      lastCompaction.set(log, { endOffset: log.logEndOffset(), segments: log.segments.length, tombstoneExpiryMs });
    }
  }
  return result;
}
