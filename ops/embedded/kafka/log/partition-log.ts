/**
 * A partition's log: an ordered list of segments in `<dataDir>/<topic>-<partition>/`, the last
 * one active. Appends write(2) the batch before returning (so a killed broker keeps everything
 * it acknowledged) and fsync on the configured interval. Opening validates the active segment
 * batch by batch and truncates a torn or corrupt tail.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { BatchHeader, PartitionLog, TopicConfig } from '../contracts.ts';
import { LOG_OVERHEAD_BYTES, MAX_SEGMENTS_PER_PARTITION, READ_SLACK_BYTES } from './limits.ts';
import { BatchField, setBaseOffset } from './record-batch.ts';
import { CLEANED_SUFFIX, Segment, parseSegmentFileName, removeIfPresent, syncDir } from './segment.ts';

export interface PartitionLogOptions {
  dir: string;
  topic: string;
  partition: number;
  config: TopicConfig;
  logger: Logger;
  /** 0 fsyncs every append; otherwise an append fsyncs when this long passed since the last. */
  fsyncIntervalMs: number;
  nowMs?: () => number;
}

/** Largest relative offset an index entry can hold (i32). */
const MAX_RELATIVE_OFFSET = 2 ** 31 - 1;

export class SegmentedPartitionLog implements PartitionLog {
  readonly topic: string;
  readonly partition: number;
  readonly dir: string;
  config: TopicConfig;
  /** Oldest first; never empty; the last is the active segment. */
  segments: Segment[];
  private readonly logger: Logger;
  private readonly fsyncIntervalMs: number;
  private readonly nowMs: () => number;
  private lastSyncMs: number;
  private closed = false;

  private constructor(opts: PartitionLogOptions, segments: Segment[]) {
    this.topic = opts.topic;
    this.partition = opts.partition;
    this.dir = opts.dir;
    this.config = opts.config;
    this.logger = opts.logger;
    this.fsyncIntervalMs = opts.fsyncIntervalMs;
    this.nowMs = opts.nowMs ?? Date.now;
    this.lastSyncMs = this.nowMs();
    this.segments = segments;
  }

  static open(opts: PartitionLogOptions): SegmentedPartitionLog {
    fs.mkdirSync(opts.dir, { recursive: true });
    const bases: number[] = [];
    for (const name of fs.readdirSync(opts.dir)) {
      if (name.endsWith(CLEANED_SUFFIX) || name.endsWith('.tmp')) {
        // An interrupted compaction or index write: the original files are intact.
        opts.logger.warn({ file: path.join(opts.dir, name) }, 'removing leftover file of an interrupted write');
        removeIfPresent(path.join(opts.dir, name));
        continue;
      }
      const base = parseSegmentFileName(name);
      if (base !== undefined) bases.push(base);
    }
    assert.ok(bases.length <= MAX_SEGMENTS_PER_PARTITION, `${opts.dir} holds ${bases.length} segments`);
    bases.sort((a, b) => a - b);
    const segments: Segment[] = [];
    bases.forEach((base, i) => {
      const isLast = i === bases.length - 1;
      const { segment, dropped } = Segment.open(opts.dir, base, isLast);
      if (dropped !== undefined) {
        opts.logger.warn(
          { file: segment.logPath, validBytes: dropped.validBytes, droppedBytes: dropped.droppedBytes, problem: dropped.problem },
          'truncated a torn or corrupt log tail',
        );
      }
      segments.push(segment);
    });
    if (segments.length === 0) segments.push(Segment.create(opts.dir, 0));
    return new SegmentedPartitionLog(opts, segments);
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1] as Segment;
  }

  logStartOffset(): number {
    return (this.segments[0] as Segment).baseOffset;
  }

  logEndOffset(): number {
    return this.active.nextOffset;
  }

  /** Total bytes of all segments (retention.bytes compares against this). */
  sizeBytes(): number {
    let total = 0;
    for (const s of this.segments) total += s.size;
    return total;
  }

  append(batch: Buffer): { baseOffset: number; lastOffset: number } {
    assert.ok(!this.closed, 'append to a closed partition log');
    assert.equal(batch.readInt32BE(BatchField.batchLength) + LOG_OVERHEAD_BYTES, batch.length, 'append takes exactly one whole batch');
    const baseOffset = this.logEndOffset();
    const lastOffsetDelta = batch.readInt32BE(BatchField.lastOffsetDelta);
    assert.ok(lastOffsetDelta >= 0, 'lastOffsetDelta is negative');
    const active = this.active;
    const wouldOverflow = baseOffset + lastOffsetDelta - active.baseOffset > MAX_RELATIVE_OFFSET;
    if (active.size > 0 && (active.size + batch.length > this.config.segmentBytes || wouldOverflow)) this.roll();
    setBaseOffset(batch, baseOffset);
    this.active.append(batch);
    this.maybeSync();
    return { baseOffset, lastOffset: baseOffset + lastOffsetDelta };
  }

  private maybeSync(): void {
    if (this.fsyncIntervalMs === 0) {
      this.active.sync();
      return;
    }
    const now = this.nowMs();
    if (now - this.lastSyncMs >= this.fsyncIntervalMs) this.sync();
  }

  /** Closes the active segment (fsync + index) and starts a new one at the log end offset. */
  private roll(): void {
    const old = this.active;
    old.sync();
    old.writeIndex();
    this.segments.push(Segment.create(this.dir, old.nextOffset));
    syncDir(this.dir);
  }

  /** Index of the segment that holds `offset` (the last one whose base is <= it), or 0. */
  private segmentIndexFor(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.segments[mid] as Segment).baseOffset <= offset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /**
   * The limit is the high watermark or the last stable offset, both batch boundaries, so a fetch
   * at or past it has nothing to return and skips the segment read (the long-poll common case).
   */
  read(fetchOffset: number, limitOffset: number, maxBytes: number): { bytes: Buffer; lastOffset: number } {
    const limit = Math.min(limitOffset, this.logEndOffset());
    if (fetchOffset >= limit) return { bytes: Buffer.alloc(0), lastOffset: -1 };
    const parts: Buffer[] = [];
    let taken = 0;
    let lastOffset = -1;
    for (let i = this.segmentIndexFor(fetchOffset); i < this.segments.length; i++) {
      const seg = this.segments[i] as Segment;
      if (seg.baseOffset >= limit) break;
      if (seg.nextOffset <= fetchOffset) continue;
      const r = seg.read(fetchOffset, limit, maxBytes - taken, parts.length === 0, READ_SLACK_BYTES);
      if (r.bytes.length > 0) {
        parts.push(r.bytes);
        taken += r.bytes.length;
        lastOffset = r.lastOffset;
      }
      if (r.full || taken >= maxBytes) break;
    }
    return { bytes: parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, taken), lastOffset };
  }

  offsetForTimestamp(timestampMs: number): number {
    for (const seg of this.segments) {
      const found = seg.offsetForTimestamp(timestampMs);
      if (found !== undefined) return Math.max(found, this.logStartOffset());
    }
    return this.logEndOffset();
  }

  /** Consume synchronously: a cleanup between two steps may replace the files being read. */
  *headers(fromOffset: number): Generator<BatchHeader> {
    const snapshot = this.segments.slice(this.segmentIndexFor(fromOffset));
    for (const seg of snapshot) yield* seg.headers(fromOffset);
  }

  sync(): void {
    if (this.closed) return;
    this.active.sync();
    this.lastSyncMs = this.nowMs();
  }

  /** Removes the oldest segment (retention); the active segment is never removed. */
  deleteOldestSegment(): Segment {
    assert.ok(this.segments.length > 1, 'the active segment cannot be deleted');
    const seg = this.segments.shift() as Segment;
    seg.delete();
    return seg;
  }

  /**
   * Drops closed segments that compaction emptied. The first stays, so logStartOffset does not
   * move because of compaction; reads skip over the offsets the removed ones covered.
   */
  removeEmptyClosedSegments(): void {
    const keep = this.segments.filter((seg, i) => i === 0 || i === this.segments.length - 1 || seg.size > 0);
    for (const seg of this.segments) if (!keep.includes(seg)) seg.delete();
    this.segments = keep;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const seg of this.segments) {
      if (seg === this.active) seg.writeIndex();
      seg.close();
    }
  }
}

export function openPartitionLog(opts: PartitionLogOptions): SegmentedPartitionLog {
  return SegmentedPartitionLog.open(opts);
}

