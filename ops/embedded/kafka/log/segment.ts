/**
 * One log segment: `<base>.log` holding whole magic-2 batches back to back, plus its sparse
 * index (sparse-index.ts). Files are named by the 20-digit base offset, as Kafka names them.
 * The segment knows only headers; record bytes are never parsed here.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { BatchHeader } from '../contracts.ts';
import { LogError } from './errors.ts';
import { FileWindow, readFully, writeFully } from './file-window.ts';
import { BATCH_HEADER_BYTES, INDEX_INTERVAL_BYTES, MAX_BATCH_BYTES, SCAN_CHUNK_BYTES } from './limits.ts';
import { BatchField, checkFraming, crcMatches, readBatchHeader, readI64 } from './record-batch.ts';
import { SparseIndex } from './sparse-index.ts';

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIMEINDEX_SUFFIX = '.timeindex';
/** A compacted copy being written; only renamed over `.log` once complete and fsynced. */
export const CLEANED_SUFFIX = '.cleaned';

export function segmentFileName(baseOffset: number, suffix: string): string {
  return `${String(baseOffset).padStart(20, '0')}${suffix}`;
}

/** Base offset from a `.log` file name, or undefined for anything else in the directory. */
export function parseSegmentFileName(name: string): number | undefined {
  const m = /^(\d{20})\.log$/.exec(name);
  if (m === null) return undefined;
  const base = Number(m[1]);
  return Number.isSafeInteger(base) ? base : undefined;
}

/** Where a scan stopped: the end of the last good batch, and why it stopped short if it did. */
export interface ScanResult {
  validBytes: number;
  problem?: string;
}

/**
 * Called for every batch a scan passes; `buf[at, at+size)` is the whole batch. Returning a
 * string stops the scan before this batch, with that string as the problem.
 */
export type BatchVisitor = (buf: Buffer, at: number, size: number, position: number) => string | void;

/**
 * Walks batches from `start` to `end` of an open file, stopping at the first bad framing (and,
 * with checkCrc, bad CRC). Used by recovery, index rebuilds and compaction.
 */
export function scanFile(fd: number, start: number, end: number, checkCrc: boolean, visit: BatchVisitor): ScanResult {
  const window = new FileWindow(fd, end, SCAN_CHUNK_BYTES);
  let pos = start;
  while (pos < end) {
    if (end - pos < BATCH_HEADER_BYTES) return { validBytes: pos, problem: `${end - pos} trailing bytes are less than a batch header` };
    const head = window.at(pos, BATCH_HEADER_BYTES);
    const batchLength = head.buf.readInt32BE(head.at + BatchField.batchLength);
    const size = batchLength + 12;
    if (batchLength < BATCH_HEADER_BYTES - 12 || size > MAX_BATCH_BYTES || size > end - pos) {
      return { validBytes: pos, problem: `batch length ${batchLength} does not fit the ${end - pos} bytes left` };
    }
    const whole = window.at(pos, size);
    let problem: string | void;
    try {
      checkFraming(whole.buf, whole.at, whole.at + size);
      if (checkCrc && !crcMatches(whole.buf, whole.at, size)) problem = 'CRC-32C mismatch';
      else problem = visit(whole.buf, whole.at, size, pos);
    } catch (err) {
      // Only malformed bytes end a scan; anything else is a bug and propagates.
      if (!(err instanceof LogError)) throw err;
      problem = err.message;
    }
    if (problem !== undefined) return { validBytes: pos, problem };
    pos += size;
  }
  return { validBytes: pos };
}

export class Segment {
  readonly baseOffset: number;
  readonly logPath: string;
  private fd: number;
  /** Bytes of whole batches in the file; appends go here. */
  size = 0;
  /** One past the last offset stored; baseOffset when empty. */
  nextOffset: number;
  /** Largest batch maxTimestamp; -1 when empty. */
  maxTimestamp = -1;
  private index = new SparseIndex();
  private bytesSinceIndexEntry = 0;
  private dirty = false;

  private constructor(
    readonly dir: string,
    baseOffset: number,
  ) {
    this.baseOffset = baseOffset;
    this.nextOffset = baseOffset;
    this.logPath = path.join(dir, segmentFileName(baseOffset, LOG_SUFFIX));
    this.fd = fs.openSync(this.logPath, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o644);
  }

  /** A new, empty segment (the file is created; an existing file must not be there). */
  static create(dir: string, baseOffset: number): Segment {
    const p = path.join(dir, segmentFileName(baseOffset, LOG_SUFFIX));
    assert.ok(!fs.existsSync(p), `segment ${p} already exists`);
    const seg = new Segment(dir, baseOffset);
    removeIfPresent(seg.indexPath(INDEX_SUFFIX));
    removeIfPresent(seg.indexPath(TIMEINDEX_SUFFIX));
    return seg;
  }

  /**
   * Opens an existing segment. `recover` validates every batch (CRC included) and truncates
   * the file after the last good one; otherwise the stored index is trusted when consistent.
   * Returns what was dropped so the caller can log it.
   */
  static open(dir: string, baseOffset: number, recover: boolean): { segment: Segment; dropped?: { validBytes: number; droppedBytes: number; problem: string } } {
    const seg = new Segment(dir, baseOffset);
    const fileBytes = fs.fstatSync(seg.fd).size;
    if (!recover && seg.loadIndex(fileBytes)) return { segment: seg };
    const result = seg.rebuild(fileBytes, recover);
    if (result.validBytes !== fileBytes) {
      fs.ftruncateSync(seg.fd, result.validBytes);
      fs.fsyncSync(seg.fd);
    }
    // A closed segment's rebuilt index is saved so the next start can skip the scan.
    if (!recover) seg.writeIndex();
    if (result.validBytes === fileBytes) return { segment: seg };
    return {
      segment: seg,
      dropped: { validBytes: result.validBytes, droppedBytes: fileBytes - result.validBytes, problem: result.problem ?? 'unknown' },
    };
  }

  private indexPath(suffix: string): string {
    return path.join(this.dir, segmentFileName(this.baseOffset, suffix));
  }

  private resetState(): void {
    this.index = new SparseIndex();
    this.size = 0;
    this.nextOffset = this.baseOffset;
    this.maxTimestamp = -1;
    this.bytesSinceIndexEntry = 0;
  }

  /** Scans the whole file, rebuilding the index; stops at the first bad batch. */
  private rebuild(fileBytes: number, checkCrc: boolean): ScanResult {
    this.resetState();
    return scanFile(this.fd, 0, fileBytes, checkCrc, (buf, at, size) => this.outOfOrder(buf, at) ?? this.track(buf, at, size));
  }

  /** Loads `.index`/`.timeindex` and scans only past the last entry; false if they are unusable. */
  private loadIndex(fileBytes: number): boolean {
    let loaded: SparseIndex | undefined;
    try {
      loaded = SparseIndex.decode(fs.readFileSync(this.indexPath(INDEX_SUFFIX)), fs.readFileSync(this.indexPath(TIMEINDEX_SUFFIX)), fileBytes);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    if (loaded === undefined) return false;
    this.resetState();
    const start = loaded.lastPosition();
    this.maxTimestamp = loaded.lastTimestampBefore();
    const tail = scanFile(this.fd, start, fileBytes, false, (buf, at, size) => {
      if (this.size > 0) {
        const problem = this.outOfOrder(buf, at);
        if (problem !== undefined) return problem;
      }
      this.size += size;
      this.noteHeader(buf, at);
    });
    if (tail.validBytes !== fileBytes) return false;
    // The entry at `start` must describe the batch stored there, or the index is stale.
    if (start > 0) {
      const head = Buffer.allocUnsafe(BATCH_HEADER_BYTES);
      readFully(this.fd, head, 0, BATCH_HEADER_BYTES, start);
      if (loaded.floorByOffset(readI64(head, 0) - this.baseOffset) !== start) return false;
    }
    this.index = loaded;
    this.size = fileBytes;
    this.bytesSinceIndexEntry = fileBytes - start;
    return true;
  }

  /** Offsets only grow within a segment; a batch that goes backwards is not ours. */
  private outOfOrder(buf: Buffer, at: number): string | undefined {
    const base = readI64(buf, at + BatchField.baseOffset);
    const delta = buf.readInt32BE(at + BatchField.lastOffsetDelta);
    if (base < this.nextOffset || delta < 0) return `batch offsets ${base}+${delta} do not follow ${this.nextOffset - 1}`;
    return undefined;
  }

  private noteHeader(buf: Buffer, at: number): void {
    const last = readI64(buf, at + BatchField.baseOffset) + buf.readInt32BE(at + BatchField.lastOffsetDelta);
    const maxTs = readI64(buf, at + BatchField.maxTimestamp);
    if (last + 1 > this.nextOffset) this.nextOffset = last + 1;
    if (maxTs > this.maxTimestamp) this.maxTimestamp = maxTs;
  }

  /** Accounts for a batch now stored at this.size (index entry, offsets, timestamps). */
  private track(buf: Buffer, at: number, size: number): void {
    if (this.bytesSinceIndexEntry >= INDEX_INTERVAL_BYTES) {
      this.index.add(readI64(buf, at + BatchField.baseOffset) - this.baseOffset, this.size, this.maxTimestamp);
      this.bytesSinceIndexEntry = 0;
    }
    this.bytesSinceIndexEntry += size;
    this.size += size;
    this.noteHeader(buf, at);
  }

  /** Appends a whole batch whose baseOffset is already set; write(2) before returning. */
  append(batch: Buffer): void {
    writeFully(this.fd, batch, this.size);
    this.track(batch, 0, batch.length);
    this.dirty = true;
  }

  /** Header-only walk from the index entry at or before fetchOffset. */
  startPositionFor(offset: number): number {
    return this.index.floorByOffset(offset - this.baseOffset);
  }

  /**
   * Whole batches with lastOffset >= fetchOffset and baseOffset < limitOffset, up to budgetBytes
   * (the first one regardless when mustTakeFirst). Returns the bytes and the last offset taken.
   */
  read(fetchOffset: number, limitOffset: number, budgetBytes: number, mustTakeFirst: boolean, slackBytes: number): { bytes: Buffer; lastOffset: number; full: boolean } {
    const start = this.startPositionFor(fetchOffset);
    const window = new FileWindow(this.fd, this.size, Math.max(budgetBytes, 0) + INDEX_INTERVAL_BYTES + slackBytes);
    let pos = start;
    let first = -1;
    let taken = 0;
    let lastOffset = -1;
    let full = false;
    while (pos < this.size) {
      const { buf, at } = window.at(pos, BATCH_HEADER_BYTES);
      const size = buf.readInt32BE(at + BatchField.batchLength) + 12;
      const base = readI64(buf, at + BatchField.baseOffset);
      if (base >= limitOffset) break;
      const last = base + buf.readInt32BE(at + BatchField.lastOffsetDelta);
      if (last >= fetchOffset) {
        if (taken + size > budgetBytes && !(mustTakeFirst && first === -1)) {
          full = true;
          break;
        }
        if (first === -1) first = pos;
        taken += size;
        lastOffset = last;
      }
      pos += size;
    }
    if (first === -1) return { bytes: Buffer.alloc(0), lastOffset: -1, full };
    return { bytes: window.slice(first, first + taken), lastOffset, full };
  }

  /** Base offset of the first batch with maxTimestamp >= ts, or undefined. */
  offsetForTimestamp(ts: number): number | undefined {
    if (this.maxTimestamp < ts) return undefined;
    const start = this.index.floorByTimestamp(ts);
    let found: number | undefined;
    const head = new FileWindow(this.fd, this.size, SCAN_CHUNK_BYTES);
    let pos = start;
    while (pos < this.size && found === undefined) {
      const { buf, at } = head.at(pos, BATCH_HEADER_BYTES);
      if (readI64(buf, at + BatchField.maxTimestamp) >= ts) found = readI64(buf, at + BatchField.baseOffset);
      pos += buf.readInt32BE(at + BatchField.batchLength) + 12;
    }
    return found;
  }

  /** Headers of batches with lastOffset >= fromOffset, in order. */
  *headers(fromOffset: number): Generator<BatchHeader> {
    const window = new FileWindow(this.fd, this.size, SCAN_CHUNK_BYTES);
    let pos = this.startPositionFor(fromOffset);
    const end = this.size;
    while (pos < end) {
      const { buf, at } = window.at(pos, BATCH_HEADER_BYTES);
      const header = readBatchHeader(buf, at);
      pos += header.batchLength + 12;
      if (header.baseOffset + header.lastOffsetDelta >= fromOffset) yield header;
    }
  }

  /** Visits every stored batch (compaction reads whole segments through this). */
  forEachBatch(visit: BatchVisitor): void {
    const result = scanFile(this.fd, 0, this.size, false, visit);
    assert.equal(result.validBytes, this.size, `segment ${this.logPath} changed under a scan: ${result.problem ?? ''}`);
  }

  sync(): void {
    if (!this.dirty) return;
    fs.fdatasyncSync(this.fd);
    this.dirty = false;
  }

  /** Persists the sparse index (on roll and close); the log is the truth, the index a cache. */
  writeIndex(): void {
    const { index, timeindex } = this.index.encode();
    writeFileDurably(this.indexPath(INDEX_SUFFIX), index);
    writeFileDurably(this.indexPath(TIMEINDEX_SUFFIX), timeindex);
  }

  close(): void {
    this.sync();
    fs.closeSync(this.fd);
    this.fd = -1;
  }

  /** Closes and removes the segment's files (retention, topic deletion). */
  delete(): void {
    if (this.fd !== -1) fs.closeSync(this.fd);
    this.fd = -1;
    removeIfPresent(this.indexPath(INDEX_SUFFIX));
    removeIfPresent(this.indexPath(TIMEINDEX_SUFFIX));
    fs.unlinkSync(this.logPath);
  }

  /** Drops the index files before the log is replaced, so a crash never pairs a new log with an old index. */
  removeIndex(): void {
    removeIfPresent(this.indexPath(INDEX_SUFFIX));
    removeIfPresent(this.indexPath(TIMEINDEX_SUFFIX));
  }

  /** Re-opens after the `.log` file was replaced (compaction) and rebuilds the index. */
  reload(): void {
    if (this.fd !== -1) fs.closeSync(this.fd);
    this.fd = fs.openSync(this.logPath, fs.constants.O_RDWR);
    const fileBytes = fs.fstatSync(this.fd).size;
    const result = this.rebuild(fileBytes, false);
    assert.equal(result.validBytes, fileBytes, `compacted segment ${this.logPath} is malformed: ${result.problem ?? ''}`);
    this.writeIndex();
  }
}

export function removeIfPresent(p: string): void {
  try {
    fs.unlinkSync(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** Writes a small file so it is either old or new after a crash: temp file, fsync, rename. */
export function writeFileDurably(p: string, data: Buffer | string): void {
  const tmp = `${p}.tmp`;
  const fd = fs.openSync(tmp, 'w', 0o644);
  try {
    writeFully(fd, typeof data === 'string' ? Buffer.from(data, 'utf8') : data, 0);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, p);
}

/** fsync a directory so a created, renamed or removed entry survives power loss. */
export function syncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
