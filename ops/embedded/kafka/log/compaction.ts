/**
 * Log compaction for cleanup.policy=compact (Kafka's LogCleaner, simplified to one pass over
 * the whole partition):
 * - The latest record per key wins; "latest" is decided over every segment, the active one
 *   included, but only closed segments are rewritten.
 * - A tombstone (null value) that is the latest for its key is dropped once its timestamp is
 *   older than delete.retention.ms.
 * - Control batches are kept. Batches of aborted transactions are emptied (records dropped,
 *   header kept, so producer and transaction state rebuilt from headers is unchanged), and their
 *   records never count as the latest value. Batches of transactions still open are kept as is.
 * - Compressed batches cannot be decoded here and are kept whole (their keys cannot win).
 * - Offsets are preserved: a batch that loses records keeps its base offset, lastOffsetDelta and
 *   timestamps, and the kept records their bytes; its count, length and CRC are recomputed. A
 *   batch that loses every record is dropped, unless it is its producer's last batch (kept empty
 *   so sequence checks survive a restart, as Kafka does).
 * Crash safety: each segment is written to `<base>.log.cleaned`, fsynced, its index removed,
 * then renamed over `<base>.log`. A leftover `.cleaned` is deleted on open.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { BatchHeader } from '../contracts.ts';
import { writeFully } from './file-window.ts';
import { BATCH_HEADER_BYTES, LOG_OVERHEAD_BYTES, MAX_COMPACTION_KEYS, SCAN_CHUNK_BYTES } from './limits.ts';
import type { SegmentedPartitionLog } from './partition-log.ts';
import { Attribute, BatchField, readBatchHeader, writeCrc } from './record-batch.ts';
import { controlTypeOf, decodeRecords, type DecodedRecord } from './records.ts';
import { CLEANED_SUFFIX, type Segment, syncDir } from './segment.ts';

export interface CompactionResult {
  rewrittenSegments: number;
  removedRecords: number;
  /** Tombstones kept because they are still younger than delete.retention.ms. */
  tombstonesKept: number;
  /** Timestamp of the oldest kept tombstone; a run after it expires has work to do. */
  oldestTombstoneMs?: number;
  skipped?: 'too_many_keys';
}

/** What the first pass learns about the whole partition. */
interface PartitionFacts {
  /** key (latin1) → offset of its latest committed or non-transactional record. */
  latest: Map<string, number>;
  /** Base offsets of data batches whose transaction ended in ABORT. */
  aborted: Set<number>;
  /** Base offsets of transactional data batches whose transaction has no marker yet. */
  open: Set<number>;
  /** producerId → base offset of its last batch. */
  lastBatchOfProducer: Map<number, number>;
}

const keyOf = (key: Buffer): string => key.toString('latin1');

function isCompressed(header: BatchHeader): boolean {
  return (header.attributes & Attribute.codecMask) !== 0;
}

function collectFacts(segments: readonly Segment[]): PartitionFacts | undefined {
  const facts: PartitionFacts = { latest: new Map(), aborted: new Set(), open: new Set(), lastBatchOfProducer: new Map() };
  /** Per open transaction: its data batches and the keyed records they hold. */
  const pending = new Map<number, { batches: number[]; keys: Array<[string, number]> }>();
  const setLatest = (key: string, offset: number): void => {
    const prev = facts.latest.get(key);
    if (prev === undefined || prev < offset) facts.latest.set(key, offset);
  };
  let tooMany = false;
  for (const seg of segments) {
    seg.forEachBatch((buf, at, size) => {
      const batch = buf.subarray(at, at + size);
      const header = readBatchHeader(batch, 0);
      if (header.producerId >= 0) facts.lastBatchOfProducer.set(header.producerId, header.baseOffset);
      if (header.isControl) {
        const txn = pending.get(header.producerId);
        pending.delete(header.producerId);
        const type = controlTypeOf(batch, header);
        if (txn === undefined) return;
        if (type === 'abort') for (const b of txn.batches) facts.aborted.add(b);
        else for (const [k, o] of txn.keys) setLatest(k, o);
        return;
      }
      const txn = header.isTransactional ? (pending.get(header.producerId) ?? { batches: [], keys: [] }) : undefined;
      if (txn !== undefined) {
        pending.set(header.producerId, txn);
        txn.batches.push(header.baseOffset);
      }
      if (isCompressed(header)) return;
      for (const r of decodeRecords(batch, header)) {
        if (r.key === null) continue;
        if (txn !== undefined) txn.keys.push([keyOf(r.key), r.offset]);
        else setLatest(keyOf(r.key), r.offset);
      }
      if (facts.latest.size > MAX_COMPACTION_KEYS) tooMany = true;
    });
    if (tooMany) return undefined;
  }
  for (const txn of pending.values()) for (const b of txn.batches) facts.open.add(b);
  return facts;
}

/** A batch holding only `kept` of its records, same offsets and timestamps, new count/length/CRC. */
function withRecords(batch: Buffer, kept: readonly DecodedRecord[]): Buffer {
  let bytes = BATCH_HEADER_BYTES;
  for (const r of kept) bytes += r.end - r.start;
  const out = Buffer.allocUnsafe(bytes);
  batch.copy(out, 0, 0, BATCH_HEADER_BYTES);
  let p = BATCH_HEADER_BYTES;
  for (const r of kept) p += batch.copy(out, p, r.start, r.end);
  out.writeInt32BE(bytes - LOG_OVERHEAD_BYTES, BatchField.batchLength);
  out.writeInt32BE(kept.length, BatchField.recordCount);
  writeCrc(out);
  return out;
}

interface BatchOutcome {
  out: Buffer | undefined;
  removed: number;
  tombstonesKept: number;
  oldestTombstoneMs?: number;
}

function compactBatch(batch: Buffer, facts: PartitionFacts, tombstoneCutoffMs: number): BatchOutcome {
  const header = readBatchHeader(batch, 0);
  const unchanged = { out: batch, removed: 0, tombstonesKept: 0 };
  if (header.isControl || isCompressed(header) || facts.open.has(header.baseOffset)) return unchanged;
  const records = decodeRecords(batch, header);
  let kept: DecodedRecord[];
  let tombstonesKept = 0;
  let oldestTombstoneMs: number | undefined;
  if (facts.aborted.has(header.baseOffset)) kept = [];
  else {
    kept = records.filter((r) => {
      if (r.key === null) return true;
      if (facts.latest.get(keyOf(r.key)) !== r.offset) return false;
      if (r.value !== null) return true;
      if (r.timestamp < tombstoneCutoffMs) return false;
      tombstonesKept++;
      oldestTombstoneMs = Math.min(oldestTombstoneMs ?? Infinity, r.timestamp);
      return true;
    });
  }
  const removed = records.length - kept.length;
  const tombstones = { tombstonesKept, ...(oldestTombstoneMs === undefined ? {} : { oldestTombstoneMs }) };
  if (removed === 0) return { ...unchanged, ...tombstones };
  const keepEmpty = facts.aborted.has(header.baseOffset) || (header.producerId >= 0 && facts.lastBatchOfProducer.get(header.producerId) === header.baseOffset);
  if (kept.length === 0 && !keepEmpty) return { out: undefined, removed, ...tombstones };
  return { out: withRecords(batch, kept), removed, ...tombstones };
}

/** Rewrites one closed segment into `.cleaned`; the file is removed again when nothing changes. */
interface RewriteResult {
  removed: number;
  tombstonesKept: number;
  oldestTombstoneMs?: number;
  cleanedPath?: string;
}

function rewriteSegment(seg: Segment, facts: PartitionFacts, tombstoneCutoffMs: number): RewriteResult {
  const cleanedPath = `${seg.logPath}${CLEANED_SUFFIX}`;
  const fd = fs.openSync(cleanedPath, 'w', 0o644);
  let removed = 0;
  let tombstonesKept = 0;
  let oldestTombstoneMs: number | undefined;
  try {
    let written = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = (): void => {
      if (pendingBytes === 0) return;
      writeFully(fd, Buffer.concat(pending, pendingBytes), written);
      written += pendingBytes;
      pending = [];
      pendingBytes = 0;
    };
    seg.forEachBatch((buf, at, size) => {
      const outcome = compactBatch(buf.subarray(at, at + size), facts, tombstoneCutoffMs);
      removed += outcome.removed;
      tombstonesKept += outcome.tombstonesKept;
      if (outcome.oldestTombstoneMs !== undefined) oldestTombstoneMs = Math.min(oldestTombstoneMs ?? Infinity, outcome.oldestTombstoneMs);
      if (outcome.out === undefined) return;
      pending.push(outcome.out);
      pendingBytes += outcome.out.length;
      if (pendingBytes >= SCAN_CHUNK_BYTES) flush();
    });
    flush();
    if (removed > 0) fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  const tombstones = { tombstonesKept, ...(oldestTombstoneMs === undefined ? {} : { oldestTombstoneMs }) };
  if (removed === 0) {
    fs.unlinkSync(cleanedPath);
    return { removed, ...tombstones };
  }
  return { removed, ...tombstones, cleanedPath };
}

export function compactLog(log: SegmentedPartitionLog, nowMs: number, logger: Logger): CompactionResult {
  const result: CompactionResult = { rewrittenSegments: 0, removedRecords: 0, tombstonesKept: 0 };
  if (log.segments.length < 2) return result;
  const facts = collectFacts(log.segments);
  if (facts === undefined) {
    logger.warn({ topic: log.topic, partition: log.partition, maxKeys: MAX_COMPACTION_KEYS }, 'compaction skipped: too many distinct keys');
    return { ...result, skipped: 'too_many_keys' };
  }
  const cutoff = nowMs - log.config.deleteRetentionMs;
  for (const seg of log.segments.slice(0, -1)) {
    const rewritten = rewriteSegment(seg, facts, cutoff);
    result.tombstonesKept += rewritten.tombstonesKept;
    if (rewritten.oldestTombstoneMs !== undefined) result.oldestTombstoneMs = Math.min(result.oldestTombstoneMs ?? Infinity, rewritten.oldestTombstoneMs);
    if (rewritten.cleanedPath === undefined) continue;
    // Index first: a crash after this leaves the old log without an index (rebuilt on open).
    seg.removeIndex();
    fs.renameSync(rewritten.cleanedPath, seg.logPath);
    syncDir(path.dirname(seg.logPath));
    seg.reload();
    result.rewrittenSegments++;
    result.removedRecords += rewritten.removed;
  }
  log.removeEmptyClosedSegments();
  if (result.rewrittenSegments > 0) {
    logger.info({ topic: log.topic, partition: log.partition, ...result }, 'compacted log');
  }
  return result;
}
