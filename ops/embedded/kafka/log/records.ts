/**
 * Record-level encode/decode for uncompressed magic-2 batches (Kafka protocol "Record"): used by
 * tests, compaction and control-marker parsing, never on the produce/fetch path. Compressed
 * batches are stored and served as produced; decoding them here throws CompressedBatchError.
 */
import type { BatchHeader } from '../contracts.ts';
import { CompressedBatchError, CorruptBatchError } from './errors.ts';
import { BATCH_HEADER_BYTES, LOG_OVERHEAD_BYTES, MAX_RECORDS_PER_BATCH } from './limits.ts';
import { Attribute, BatchField, ControlType, readBatchHeader, writeCrc, writeI64 } from './record-batch.ts';

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface RecordInput {
  key: Buffer | null;
  value: Buffer | null;
  headers?: RecordHeader[];
  /** CreateTime in ms; defaults to the batch's base timestamp. */
  timestamp?: number;
}

export interface DecodedRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
  /** Where the record's bytes (length prefix included) sit in the batch, for rewriting. */
  start: number;
  end: number;
}

export interface EncodeBatchOptions {
  baseOffset?: number;
  /** Used for records without a timestamp; defaults to the first record's or 0. */
  baseTimestamp?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  partitionLeaderEpoch?: number;
}

// ---- zig-zag varints (protobuf encoding, as Kafka's ByteUtils) ----

/** Growable byte sink for encoding. */
class Sink {
  buf = Buffer.alloc(256);
  len = 0;

  ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }

  bytes(b: Buffer): void {
    this.ensure(b.length);
    b.copy(this.buf, this.len);
    this.len += b.length;
  }

  /** Zig-zag varlong; numbers up to 2^53 in magnitude, enough for timestamps and lengths. */
  varint(value: number): void {
    let zz = value >= 0 ? value * 2 : -value * 2 - 1;
    while (zz >= 0x80) {
      this.byte((zz % 0x80) | 0x80);
      zz = Math.floor(zz / 0x80);
    }
    this.byte(zz);
  }

  nullableBytes(b: Buffer | null): void {
    if (b === null) {
      this.varint(-1);
      return;
    }
    this.varint(b.length);
    this.bytes(b);
  }
}

/** Cursor over a batch's records section; every read is bounds-checked against `end`. */
export class Reader {
  constructor(
    readonly buf: Buffer,
    public pos: number,
    readonly end: number,
  ) {}

  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new CorruptBatchError('corrupt_batch', 'record varint runs past the batch end');
      const b = this.buf[this.pos++] as number;
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
      scale *= 0x80;
    }
    throw new CorruptBatchError('corrupt_batch', 'record varint longer than 10 bytes');
  }

  nullableBytes(): Buffer | null {
    const len = this.varint();
    if (len === -1) return null;
    if (len < -1 || this.pos + len > this.end) throw new CorruptBatchError('corrupt_batch', `record field length ${len} is out of bounds`);
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
}

/** Encodes one uncompressed magic-2 batch with a correct CRC. */
export function encodeBatch(records: readonly RecordInput[], opts: EncodeBatchOptions = {}): Buffer {
  if (records.length === 0) throw new RangeError('a batch needs at least one record');
  const baseTimestamp = opts.baseTimestamp ?? records[0]?.timestamp ?? 0;
  const sink = new Sink();
  sink.ensure(BATCH_HEADER_BYTES);
  sink.len = BATCH_HEADER_BYTES;
  let maxTimestamp = -1;
  const body = new Sink();
  records.forEach((record, index) => {
    const timestamp = record.timestamp ?? baseTimestamp;
    maxTimestamp = Math.max(maxTimestamp, timestamp);
    body.len = 0;
    body.byte(0); // record attributes (unused in magic 2)
    body.varint(timestamp - baseTimestamp);
    body.varint(index);
    body.nullableBytes(record.key);
    body.nullableBytes(record.value);
    const headers = record.headers ?? [];
    body.varint(headers.length);
    for (const h of headers) {
      body.nullableBytes(Buffer.from(h.key, 'utf8'));
      body.nullableBytes(h.value);
    }
    sink.varint(body.len);
    sink.bytes(body.buf.subarray(0, body.len));
  });
  const batch = Buffer.from(sink.buf.subarray(0, sink.len));
  writeI64(batch, BatchField.baseOffset, opts.baseOffset ?? 0);
  batch.writeInt32BE(batch.length - LOG_OVERHEAD_BYTES, BatchField.batchLength);
  batch.writeInt32BE(opts.partitionLeaderEpoch ?? 0, BatchField.partitionLeaderEpoch);
  batch.writeInt8(2, BatchField.magic);
  batch.writeInt16BE(opts.transactional === true ? Attribute.transactional : 0, BatchField.attributes);
  batch.writeInt32BE(records.length - 1, BatchField.lastOffsetDelta);
  writeI64(batch, BatchField.baseTimestamp, baseTimestamp);
  writeI64(batch, BatchField.maxTimestamp, maxTimestamp);
  writeI64(batch, BatchField.producerId, opts.producerId ?? -1);
  batch.writeInt16BE(opts.producerEpoch ?? -1, BatchField.producerEpoch);
  batch.writeInt32BE(opts.baseSequence ?? -1, BatchField.baseSequence);
  batch.writeInt32BE(records.length, BatchField.recordCount);
  writeCrc(batch);
  return batch;
}

/** Decodes every record of one uncompressed batch occupying `batch` (framing already checked). */
export function decodeRecords(batch: Buffer, header: BatchHeader = readBatchHeader(batch, 0)): DecodedRecord[] {
  const codec = header.attributes & Attribute.codecMask;
  if (codec !== 0) throw new CompressedBatchError(codec);
  if (header.recordCount < 0 || header.recordCount > MAX_RECORDS_PER_BATCH) {
    throw new CorruptBatchError('corrupt_batch', `record count ${header.recordCount} is out of range`);
  }
  const end = header.batchLength + LOG_OVERHEAD_BYTES;
  if (end > batch.length) throw new CorruptBatchError('corrupt_batch', 'batch is shorter than its batchLength');
  const outer = new Reader(batch, BATCH_HEADER_BYTES, end);
  const out: DecodedRecord[] = [];
  for (let i = 0; i < header.recordCount; i++) {
    const start = outer.pos;
    const len = outer.varint();
    if (len < 0 || outer.pos + len > end) throw new CorruptBatchError('corrupt_batch', `record length ${len} is out of bounds`);
    const r = new Reader(batch, outer.pos, outer.pos + len);
    r.pos += 1; // attributes
    const timestamp = header.baseTimestamp + r.varint();
    const offset = header.baseOffset + r.varint();
    const key = r.nullableBytes();
    const value = r.nullableBytes();
    const headerCount = r.varint();
    if (headerCount < 0 || headerCount > len) throw new CorruptBatchError('corrupt_batch', `header count ${headerCount} is out of range`);
    const headers: RecordHeader[] = [];
    for (let h = 0; h < headerCount; h++) {
      const hk = r.nullableBytes();
      if (hk === null) throw new CorruptBatchError('corrupt_batch', 'record header key is null');
      headers.push({ key: hk.toString('utf8'), value: r.nullableBytes() });
    }
    outer.pos += len;
    out.push({ offset, timestamp, key, value, headers, start, end: outer.pos });
  }
  return out;
}

/**
 * The marker type of a control batch ('commit' / 'abort') from its first record's key
 * (i16 version, i16 type), or undefined when the batch is not a readable control batch.
 */
export function controlTypeOf(batch: Buffer, header: BatchHeader = readBatchHeader(batch, 0)): 'commit' | 'abort' | undefined {
  if (!header.isControl || (header.attributes & Attribute.codecMask) !== 0 || header.recordCount < 1) return undefined;
  const first = decodeRecords(batch, { ...header, recordCount: 1 })[0];
  if (first === undefined || first.key === null || first.key.length < 4) return undefined;
  const type = first.key.readInt16BE(2);
  if (type === ControlType.commit) return 'commit';
  if (type === ControlType.abort) return 'abort';
  return undefined;
}
