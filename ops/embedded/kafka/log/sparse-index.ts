/**
 * A segment's sparse index, kept in typed arrays: entry i says the batch with relative base
 * offset rel[i] starts at file position pos[i], and every batch before it has a maxTimestamp
 * of at most tsBefore[i]. tsBefore is non-decreasing, so both lookups are binary searches.
 * Persisted as `.index` (i32 rel, i32 pos; Kafka's offset index layout) and `.timeindex`
 * (i64 tsBefore, i32 rel) with one entry per INDEX_INTERVAL_BYTES of log.
 */
import { readI64, writeI64 } from './record-batch.ts';

const INDEX_ENTRY_BYTES = 8;
const TIME_ENTRY_BYTES = 12;

export class SparseIndex {
  private rel = new Int32Array(16);
  private pos = new Int32Array(16);
  private tsBefore = new Float64Array(16);
  count = 0;

  add(relOffset: number, position: number, maxTimestampBefore: number): void {
    if (this.count === this.rel.length) this.grow();
    this.rel[this.count] = relOffset;
    this.pos[this.count] = position;
    this.tsBefore[this.count] = maxTimestampBefore;
    this.count++;
  }

  private grow(): void {
    const n = this.rel.length * 2;
    const rel = new Int32Array(n);
    rel.set(this.rel);
    const pos = new Int32Array(n);
    pos.set(this.pos);
    const ts = new Float64Array(n);
    ts.set(this.tsBefore);
    this.rel = rel;
    this.pos = pos;
    this.tsBefore = ts;
  }

  lastPosition(): number {
    return this.count === 0 ? 0 : (this.pos[this.count - 1] as number);
  }

  lastTimestampBefore(): number {
    return this.count === 0 ? -1 : (this.tsBefore[this.count - 1] as number);
  }

  /** Position to start scanning for the first batch that can hold relOffset. */
  floorByOffset(relOffset: number): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.rel[mid] as number) <= relOffset) {
        found = this.pos[mid] as number;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** Position to start scanning for the first batch with maxTimestamp >= ts. */
  floorByTimestamp(ts: number): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.tsBefore[mid] as number) < ts) {
        found = this.pos[mid] as number;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  encode(): { index: Buffer; timeindex: Buffer } {
    const index = Buffer.alloc(this.count * INDEX_ENTRY_BYTES);
    const timeindex = Buffer.alloc(this.count * TIME_ENTRY_BYTES);
    for (let i = 0; i < this.count; i++) {
      index.writeInt32BE(this.rel[i] as number, i * INDEX_ENTRY_BYTES);
      index.writeInt32BE(this.pos[i] as number, i * INDEX_ENTRY_BYTES + 4);
      writeI64(timeindex, i * TIME_ENTRY_BYTES, this.tsBefore[i] as number);
      timeindex.writeInt32BE(this.rel[i] as number, i * TIME_ENTRY_BYTES + 8);
    }
    return { index, timeindex };
  }

  /**
   * Rebuilds from the two files, or returns undefined when they disagree or are not sorted,
   * or point at or past `logBytes`: the caller then rebuilds the index by scanning the log.
   */
  static decode(index: Buffer, timeindex: Buffer, logBytes: number): SparseIndex | undefined {
    if (index.length % INDEX_ENTRY_BYTES !== 0 || timeindex.length % TIME_ENTRY_BYTES !== 0) return undefined;
    const count = index.length / INDEX_ENTRY_BYTES;
    if (timeindex.length / TIME_ENTRY_BYTES !== count) return undefined;
    const out = new SparseIndex();
    let prevRel = -1;
    let prevPos = 0;
    let prevTs = -Infinity;
    for (let i = 0; i < count; i++) {
      const rel = index.readInt32BE(i * INDEX_ENTRY_BYTES);
      const pos = index.readInt32BE(i * INDEX_ENTRY_BYTES + 4);
      const ts = readI64(timeindex, i * TIME_ENTRY_BYTES);
      if (timeindex.readInt32BE(i * TIME_ENTRY_BYTES + 8) !== rel) return undefined;
      if (rel <= prevRel || pos <= prevPos || pos >= logBytes || ts < prevTs) return undefined;
      out.add(rel, pos, ts);
      prevRel = rel;
      prevPos = pos;
      prevTs = ts;
    }
    return out;
  }
}
