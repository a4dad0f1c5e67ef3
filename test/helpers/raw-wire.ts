/**
 * A deliberately independent, minimal Kafka wire encoder/decoder for tests: it writes requests
 * and reads responses (the broker's codecs do the opposite direction), so a test built on it
 * checks the broker against the protocol text rather than against itself.
 * Protocol: https://kafka.apache.org/protocol (request header v1, response header v0, no
 * flexible versions), record batch v2: https://kafka.apache.org/documentation/#recordbatch
 */
import { crc32c } from '@node-rs/crc32';

export class Writer {
  private chunks: Buffer[] = [];

  int8(v: number): this {
    const b = Buffer.alloc(1);
    b.writeInt8(v);
    return this.raw(b);
  }
  int16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    return this.raw(b);
  }
  int32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    return this.raw(b);
  }
  uint32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v);
    return this.raw(b);
  }
  int64(v: number | bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(BigInt(v));
    return this.raw(b);
  }
  /** i16-length string; null is length -1. */
  string(v: string | null): this {
    if (v === null) return this.int16(-1);
    const bytes = Buffer.from(v, 'utf8');
    return this.int16(bytes.length).raw(bytes);
  }
  /** i32-length bytes; null is length -1. */
  bytes(v: Buffer | null): this {
    if (v === null) return this.int32(-1);
    return this.int32(v.length).raw(v);
  }
  /** i32-count array; null is count -1. */
  array<T>(items: readonly T[] | null, each: (w: this, item: T) => void): this {
    if (items === null) return this.int32(-1);
    this.int32(items.length);
    for (const item of items) each(this, item);
    return this;
  }
  varint(v: number): this {
    return this.varlong(BigInt(v));
  }
  /** Zig-zag varlong (protobuf style), as record fields use. */
  varlong(v: bigint): this {
    let z = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    const out: number[] = [];
    while (z >= 0x80n) {
      out.push(Number(z & 0x7fn) | 0x80);
      z >>= 7n;
    }
    out.push(Number(z));
    return this.raw(Buffer.from(out));
  }
  raw(b: Buffer): this {
    this.chunks.push(b);
    return this;
  }
  build(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** Thrown when a response is shorter than its fields claim. */
export class ShortReadError extends Error {
  readonly code = 'short_read' as const;
}

export class Reader {
  offset = 0;
  constructor(readonly buf: Buffer) {}

  private need(n: number): void {
    if (this.offset + n > this.buf.length) throw new ShortReadError(`need ${n} bytes at ${this.offset}, have ${this.buf.length - this.offset}`);
  }
  int8(): number {
    this.need(1);
    const v = this.buf.readInt8(this.offset);
    this.offset += 1;
    return v;
  }
  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }
  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }
  uint32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }
  int64(): number {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.offset);
    this.offset += 8;
    return Number(v);
  }
  string(): string | null {
    const len = this.int16();
    if (len < 0) return null;
    this.need(len);
    const v = this.buf.toString('utf8', this.offset, this.offset + len);
    this.offset += len;
    return v;
  }
  bytes(): Buffer | null {
    const len = this.int32();
    if (len < 0) return null;
    return this.take(len);
  }
  take(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }
  array<T>(each: (r: this) => T): T[] | null {
    const n = this.int32();
    if (n < 0) return null;
    const out: T[] = [];
    for (let i = 0; i < n; i += 1) out.push(each(this));
    return out;
  }
  varlong(): bigint {
    let z = 0n;
    let shift = 0n;
    for (;;) {
      const byte = this.int8() & 0xff;
      z |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) break;
      shift += 7n;
      if (shift > 63n) throw new ShortReadError('varint longer than 10 bytes');
    }
    return (z >> 1n) ^ -(z & 1n);
  }
  varint(): number {
    return Number(this.varlong());
  }
  get remaining(): number {
    return this.buf.length - this.offset;
  }
}

/** The request frame: size, header v1 (api key, version, correlation id, client id), body. */
export function frameRequest(apiKey: number, apiVersion: number, correlationId: number, clientId: string | null, body: Buffer): Buffer {
  const payload = new Writer().int16(apiKey).int16(apiVersion).int32(correlationId).string(clientId).raw(body).build();
  return new Writer().int32(payload.length).raw(payload).build();
}

export const ApiKey = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  DescribeGroups: 15,
  ListGroups: 16,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
  InitProducerId: 22,
  AddPartitionsToTxn: 24,
  AddOffsetsToTxn: 25,
  EndTxn: 26,
  TxnOffsetCommit: 28,
} as const;

// ---- Record batch v2 ----------------------------------------------------------------------

export interface RawRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers?: Array<{ key: string; value: Buffer | null }>;
  /** Added to the batch's base timestamp. */
  timestampDelta?: number;
}

export interface BatchSpec {
  baseOffset?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  control?: boolean;
  baseTimestamp?: number;
  records: RawRecord[];
  /** Overrides the magic byte (to test rejection of anything but 2). */
  magic?: number;
}

/** Encodes one uncompressed magic-2 batch; the CRC-32C covers bytes from the attributes on. */
export function encodeBatch(spec: BatchSpec): Buffer {
  const baseTimestamp = spec.baseTimestamp ?? Date.now();
  const records = spec.records.map((rec, i) => {
    const body = new Writer().int8(0).varlong(BigInt(rec.timestampDelta ?? 0)).varint(i);
    if (rec.key === null) body.varint(-1);
    else body.varint(rec.key.length).raw(rec.key);
    if (rec.value === null) body.varint(-1);
    else body.varint(rec.value.length).raw(rec.value);
    const headers = rec.headers ?? [];
    body.varint(headers.length);
    for (const h of headers) {
      const k = Buffer.from(h.key, 'utf8');
      body.varint(k.length).raw(k);
      if (h.value === null) body.varint(-1);
      else body.varint(h.value.length).raw(h.value);
    }
    const built = body.build();
    return new Writer().varint(built.length).raw(built).build();
  });
  const maxDelta = Math.max(0, ...spec.records.map((r) => r.timestampDelta ?? 0));
  const attributes = (spec.transactional ? 0x10 : 0) | (spec.control ? 0x20 : 0);
  const afterCrc = new Writer()
    .int16(attributes)
    .int32(spec.records.length - 1)
    .int64(baseTimestamp)
    .int64(baseTimestamp + maxDelta)
    .int64(spec.producerId ?? -1)
    .int16(spec.producerEpoch ?? -1)
    .int32(spec.baseSequence ?? -1)
    .int32(spec.records.length)
    .raw(Buffer.concat(records))
    .build();
  const crc = crc32c(afterCrc) >>> 0;
  // partitionLeaderEpoch(4) + magic(1) + crc(4) + the rest
  const batchLength = 4 + 1 + 4 + afterCrc.length;
  return new Writer()
    .int64(spec.baseOffset ?? 0)
    .int32(batchLength)
    .int32(-1)
    .int8(spec.magic ?? 2)
    .uint32(crc)
    .raw(afterCrc)
    .build();
}

export interface DecodedRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<{ key: string; value: Buffer | null }>;
}

export interface DecodedBatch {
  baseOffset: number;
  lastOffset: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  attributes: number;
  isTransactional: boolean;
  isControl: boolean;
  crcValid: boolean;
  records: DecodedRecord[];
  /** For control batches: 0 ABORT, 1 COMMIT. */
  controlType?: number;
}

/** Decodes concatenated uncompressed batches; a trailing partial batch is ignored, as clients do. */
export function decodeBatches(buf: Buffer): DecodedBatch[] {
  const out: DecodedBatch[] = [];
  let pos = 0;
  while (pos + 12 <= buf.length) {
    const batchLength = buf.readInt32BE(pos + 8);
    const end = pos + 12 + batchLength;
    if (end > buf.length) break;
    const r = new Reader(buf.subarray(pos, end));
    const baseOffset = r.int64();
    r.int32();
    r.int32();
    r.int8();
    const crc = r.uint32();
    const crcValid = (crc32c(buf.subarray(pos + 21, end)) >>> 0) === crc;
    const attributes = r.int16();
    const lastOffsetDelta = r.int32();
    const baseTimestamp = r.int64();
    r.int64();
    const producerId = r.int64();
    const producerEpoch = r.int16();
    const baseSequence = r.int32();
    const count = r.int32();
    const records: DecodedRecord[] = [];
    const compressed = (attributes & 0x07) !== 0;
    if (!compressed) {
      for (let i = 0; i < count; i += 1) {
        r.varint();
        r.int8();
        const tsDelta = Number(r.varlong());
        const offsetDelta = r.varint();
        const keyLen = r.varint();
        const key = keyLen < 0 ? null : Buffer.from(r.take(keyLen));
        const valLen = r.varint();
        const value = valLen < 0 ? null : Buffer.from(r.take(valLen));
        const headerCount = r.varint();
        const headers: DecodedRecord['headers'] = [];
        for (let h = 0; h < headerCount; h += 1) {
          const hk = r.take(r.varint()).toString('utf8');
          const hvLen = r.varint();
          headers.push({ key: hk, value: hvLen < 0 ? null : Buffer.from(r.take(hvLen)) });
        }
        records.push({ offset: baseOffset + offsetDelta, timestamp: baseTimestamp + tsDelta, key, value, headers });
      }
    }
    const isControl = (attributes & 0x20) !== 0;
    const batch: DecodedBatch = {
      baseOffset,
      lastOffset: baseOffset + lastOffsetDelta,
      producerId,
      producerEpoch,
      baseSequence,
      attributes,
      isTransactional: (attributes & 0x10) !== 0,
      isControl,
      crcValid,
      records,
    };
    const controlKey = records[0]?.key;
    if (isControl && controlKey && controlKey.length >= 4) batch.controlType = controlKey.readInt16BE(2);
    out.push(batch);
    pos = end;
  }
  return out;
}
