/**
 * Magic-2 record batch framing: header decode, validation, baseOffset rewrite, control batches.
 * Layout and rules: Kafka protocol "Record Batch" (https://kafka.apache.org/documentation/#recordbatch)
 * as restated in the broker spec §3. Only headers are touched on the hot path; records stay opaque.
 */
import { crc32c } from '@node-rs/crc32';
import type { BatchHeader } from '../contracts.ts';
import { BatchTooLargeError, CorruptBatchError } from './errors.ts';
import { BATCH_HEADER_BYTES, LOG_OVERHEAD_BYTES, MAX_BATCH_BYTES } from './limits.ts';

/** Byte offsets of the header fields (spec §3). */
export const BatchField = {
  baseOffset: 0,
  batchLength: 8,
  partitionLeaderEpoch: 12,
  magic: 16,
  crc: 17,
  attributes: 21,
  lastOffsetDelta: 23,
  baseTimestamp: 27,
  maxTimestamp: 35,
  producerId: 43,
  producerEpoch: 51,
  baseSequence: 53,
  recordCount: 57,
} as const;

/** The CRC-32C covers attributes to the end, so baseOffset and leader epoch can change freely. */
export const CRC_START = BatchField.attributes;

export const Attribute = {
  codecMask: 0x07,
  logAppendTime: 0x08,
  transactional: 0x10,
  control: 0x20,
} as const;

/** Smallest legal batchLength: header bytes after the length field, with no records. */
export const MIN_BATCH_LENGTH = BATCH_HEADER_BYTES - LOG_OVERHEAD_BYTES;

const TWO_32 = 2 ** 32;

/** Reads an i64 as a JS number; values beyond 2^53 are a corrupt or hostile batch, not data. */
export function readI64(buf: Buffer, pos: number): number {
  const value = buf.readInt32BE(pos) * TWO_32 + buf.readUInt32BE(pos + 4);
  if (!Number.isSafeInteger(value)) throw new CorruptBatchError('corrupt_batch', `i64 at byte ${pos} is outside the safe integer range`);
  return value;
}

export function writeI64(buf: Buffer, pos: number, value: number): void {
  if (!Number.isSafeInteger(value)) throw new RangeError(`i64 value ${value} is not a safe integer`);
  const hi = Math.floor(value / TWO_32);
  buf.writeInt32BE(hi, pos);
  buf.writeUInt32BE(value - hi * TWO_32, pos + 4);
}

/** Decodes the 61-byte header at `pos`; the caller has checked that 61 bytes are there. */
export function readBatchHeader(buf: Buffer, pos = 0): BatchHeader {
  const attributes = buf.readInt16BE(pos + BatchField.attributes);
  return {
    baseOffset: readI64(buf, pos + BatchField.baseOffset),
    batchLength: buf.readInt32BE(pos + BatchField.batchLength),
    partitionLeaderEpoch: buf.readInt32BE(pos + BatchField.partitionLeaderEpoch),
    magic: buf.readInt8(pos + BatchField.magic),
    crc: buf.readUInt32BE(pos + BatchField.crc),
    attributes,
    lastOffsetDelta: buf.readInt32BE(pos + BatchField.lastOffsetDelta),
    baseTimestamp: readI64(buf, pos + BatchField.baseTimestamp),
    maxTimestamp: readI64(buf, pos + BatchField.maxTimestamp),
    producerId: readI64(buf, pos + BatchField.producerId),
    producerEpoch: buf.readInt16BE(pos + BatchField.producerEpoch),
    baseSequence: buf.readInt32BE(pos + BatchField.baseSequence),
    recordCount: buf.readInt32BE(pos + BatchField.recordCount),
    isTransactional: (attributes & Attribute.transactional) !== 0,
    isControl: (attributes & Attribute.control) !== 0,
  };
}

/** Offset of the batch's last record; lastOffsetDelta survives compaction, so this is stable. */
export function lastOffsetOf(header: Pick<BatchHeader, 'baseOffset' | 'lastOffsetDelta'>): number {
  return header.baseOffset + header.lastOffsetDelta;
}

/**
 * Checks the framing of the batch starting at `pos` within `buf[pos, end)`: enough bytes for a
 * header, a sane batchLength, the whole batch present, magic 2. Returns the batch's total size.
 */
export function checkFraming(buf: Buffer, pos: number, end: number, maxBatchBytes = MAX_BATCH_BYTES): number {
  if (end - pos < BATCH_HEADER_BYTES) {
    throw new CorruptBatchError('corrupt_batch', `${end - pos} bytes left at ${pos}; a batch header needs ${BATCH_HEADER_BYTES}`);
  }
  const batchLength = buf.readInt32BE(pos + BatchField.batchLength);
  if (batchLength < MIN_BATCH_LENGTH) {
    throw new CorruptBatchError('corrupt_batch', `batchLength ${batchLength} at ${pos} is below ${MIN_BATCH_LENGTH}`);
  }
  const size = batchLength + LOG_OVERHEAD_BYTES;
  if (size > maxBatchBytes) throw new BatchTooLargeError(size, maxBatchBytes);
  if (size > end - pos) {
    throw new CorruptBatchError('corrupt_batch', `batch at ${pos} needs ${size} bytes; only ${end - pos} present`);
  }
  const magic = buf.readInt8(pos + BatchField.magic);
  if (magic !== 2) throw new CorruptBatchError('unsupported_magic', `batch at ${pos} has magic ${magic}; only 2 is supported`);
  return size;
}

/** CRC-32C over attributes..end (spec §3), the range librdkafka's check.crcs verifies. */
export function computeCrc(buf: Buffer, pos: number, size: number): number {
  return crc32c(buf.subarray(pos + CRC_START, pos + size)) >>> 0;
}

export function crcMatches(buf: Buffer, pos: number, size: number): boolean {
  return computeCrc(buf, pos, size) === buf.readUInt32BE(pos + BatchField.crc);
}

/** Recomputes and stores the CRC after the covered bytes changed (compaction, control batches). */
export function writeCrc(batch: Buffer): void {
  batch.writeUInt32BE(computeCrc(batch, 0, batch.length), BatchField.crc);
}

/** Full check of one batch occupying exactly `batch`: framing, count sanity and CRC. */
export function validateBatch(batch: Buffer, maxBatchBytes = MAX_BATCH_BYTES): BatchHeader {
  const size = checkFraming(batch, 0, batch.length, maxBatchBytes);
  if (size !== batch.length) {
    throw new CorruptBatchError('batch_count', `buffer holds ${batch.length} bytes but its first batch is ${size}`);
  }
  if (!crcMatches(batch, 0, size)) throw new CorruptBatchError('corrupt_batch', 'batch CRC-32C does not match its contents');
  const header = readBatchHeader(batch, 0);
  if (header.lastOffsetDelta < 0 || header.recordCount < 0) {
    throw new CorruptBatchError('corrupt_batch', `lastOffsetDelta ${header.lastOffsetDelta} / recordCount ${header.recordCount} is negative`);
  }
  return header;
}

/** Splits a buffer of concatenated batches into views (no copies); throws on bad framing. */
export function splitBatches(records: Buffer, maxBatchBytes = MAX_BATCH_BYTES): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  while (pos < records.length) {
    const size = checkFraming(records, pos, records.length, maxBatchBytes);
    out.push(records.subarray(pos, pos + size));
    pos += size;
  }
  return out;
}

/**
 * The one batch of a Produce v3+ partition entry (Kafka rejects zero or several), validated.
 * The returned buffer is a view of `records`; append() rewrites its baseOffset in place.
 */
export function singleProduceBatch(records: Buffer, maxBatchBytes = MAX_BATCH_BYTES): { batch: Buffer; header: BatchHeader } {
  if (records.length === 0) throw new CorruptBatchError('batch_count', 'produce request carries no record batch');
  const size = checkFraming(records, 0, records.length, maxBatchBytes);
  if (size !== records.length) {
    throw new CorruptBatchError('batch_count', 'produce request carries more than one record batch for a partition');
  }
  const batch = records.subarray(0, size);
  return { batch, header: validateBatch(batch, maxBatchBytes) };
}

/** baseOffset is outside the CRC, so rewriting it needs no CRC update (spec §3). */
export function setBaseOffset(batch: Buffer, baseOffset: number, pos = 0): void {
  writeI64(batch, pos + BatchField.baseOffset, baseOffset);
}

export const ControlType = { abort: 0, commit: 1 } as const;

export interface ControlBatchOptions {
  producerId: number;
  producerEpoch: number;
  commit: boolean;
  timestampMs: number;
  coordinatorEpoch?: number;
  baseOffset?: number;
}

/** Bytes of the single control record: len, attrs, tsDelta, offsetDelta, key(4), value(6), headers. */
const CONTROL_RECORD_BYTES = 17;

/**
 * A COMMIT/ABORT marker batch (spec §3): attributes 0x30, one record whose key is
 * i16 version 0 + i16 type and whose value is i16 version 0 + i32 coordinator epoch.
 */
export function buildControlBatch(opts: ControlBatchOptions): Buffer {
  const batch = Buffer.alloc(BATCH_HEADER_BYTES + CONTROL_RECORD_BYTES);
  writeI64(batch, BatchField.baseOffset, opts.baseOffset ?? 0);
  batch.writeInt32BE(batch.length - LOG_OVERHEAD_BYTES, BatchField.batchLength);
  batch.writeInt32BE(0, BatchField.partitionLeaderEpoch);
  batch.writeInt8(2, BatchField.magic);
  batch.writeInt16BE(Attribute.transactional | Attribute.control, BatchField.attributes);
  batch.writeInt32BE(0, BatchField.lastOffsetDelta);
  writeI64(batch, BatchField.baseTimestamp, opts.timestampMs);
  writeI64(batch, BatchField.maxTimestamp, opts.timestampMs);
  writeI64(batch, BatchField.producerId, opts.producerId);
  batch.writeInt16BE(opts.producerEpoch, BatchField.producerEpoch);
  batch.writeInt32BE(-1, BatchField.baseSequence);
  batch.writeInt32BE(1, BatchField.recordCount);
  // Record fields are zig-zag varints: 16 → 0x20 (body length), 4 → 0x08, 6 → 0x0c.
  let p = BATCH_HEADER_BYTES;
  p = batch.writeUInt8(0x20, p); // record body length 16
  p = batch.writeUInt8(0, p); // record attributes
  p = batch.writeUInt8(0, p); // timestamp delta
  p = batch.writeUInt8(0, p); // offset delta
  p = batch.writeUInt8(0x08, p); // key length 4
  p = batch.writeInt16BE(0, p); // key version
  p = batch.writeInt16BE(opts.commit ? ControlType.commit : ControlType.abort, p);
  p = batch.writeUInt8(0x0c, p); // value length 6
  p = batch.writeInt16BE(0, p); // value version
  p = batch.writeInt32BE(opts.coordinatorEpoch ?? 0, p);
  batch.writeUInt8(0, p); // header count
  writeCrc(batch);
  return batch;
}
