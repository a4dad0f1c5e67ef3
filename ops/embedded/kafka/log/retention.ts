/**
 * Time- and size-based retention (Kafka's retention.ms / retention.bytes): whole segments are
 * deleted from the oldest on, the active segment never, and logStartOffset becomes the base
 * offset of the first remaining segment. As in Kafka, a segment is deleted for size only while
 * what remains still holds at least retention.bytes.
 */
import type { Logger } from 'pino';
import type { SegmentedPartitionLog } from './partition-log.ts';
import type { Segment } from './segment.ts';

export interface RetentionResult {
  deletedSegments: number;
  deletedBytes: number;
  logStartOffset: number;
}

export function applyRetention(log: SegmentedPartitionLog, nowMs: number, logger: Logger): RetentionResult {
  const { retentionMs, retentionBytes } = log.config;
  let deletedSegments = 0;
  let deletedBytes = 0;
  let total = log.sizeBytes();
  const expired = (seg: Segment): boolean => retentionMs >= 0 && seg.maxTimestamp < nowMs - retentionMs;
  const oversize = (seg: Segment): boolean => retentionBytes >= 0 && total - seg.size >= retentionBytes;
  while (log.segments.length > 1) {
    const oldest = log.segments[0] as Segment;
    const byTime = expired(oldest);
    if (!byTime && !oversize(oldest)) break;
    logger.info(
      { topic: log.topic, partition: log.partition, segmentBaseOffset: oldest.baseOffset, bytes: oldest.size, reason: byTime ? 'retention.ms' : 'retention.bytes' },
      'deleting log segment past retention',
    );
    log.deleteOldestSegment();
    total -= oldest.size;
    deletedBytes += oldest.size;
    deletedSegments++;
  }
  return { deletedSegments, deletedBytes, logStartOffset: log.logStartOffset() };
}
