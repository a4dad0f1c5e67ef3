/**
 * Kafka wire primitives (https://kafka.apache.org/protocol#protocol_types): big-endian fixed-width
 * integers, zig-zag varints, i16-length strings, i32-length bytes and i32-count arrays. Every API
 * version the broker speaks is pre-KIP-482 (spec §1), so compact encodings appear only in the
 * ApiVersions v3 answer, which needs the unsigned varint.
 *
 * The Reader faces untrusted bytes: every short or malformed input becomes a ProtocolError with a
 * stable code, and every length or count is checked against the bytes that remain before anything
 * is allocated, so a hostile frame can cost at most its own size in memory.
 */
import assert from 'node:assert/strict';
import { PaystreamError } from '../../../../lib/errors.ts';

export type ProtocolErrorCode =
  /** The input ended inside a field. */
  | 'truncated'
  /** A length or count is negative (other than the null marker) or larger than the bytes left. */
  | 'invalid_length'
  /** A null where the field is not nullable at this version. */
  | 'unexpected_null'
  /** An int64 or varlong outside the JS safe-integer range (offsets and ids are numbers here). */
  | 'int64_out_of_range'
  /** A varint longer than its type allows. */
  | 'invalid_varint'
  /** A boolean byte other than 0 or 1. */
  | 'invalid_boolean'
  /** Bytes left over after a message that must end there. */
  | 'trailing_bytes'
  /** A request for an API or version this broker does not implement. */
  | 'unsupported_version';

/** Malformed or unsupported input on the wire; the server answers it by closing the connection. */
export class ProtocolError extends PaystreamError<ProtocolErrorCode> {
  /** Byte offset in the message where the problem was found. */
  readonly offset: number;

  constructor(code: ProtocolErrorCode, offset: number, message: string) {
    super(code, `${message} (at byte ${offset})`);
    this.name = 'ProtocolError';
    this.offset = offset;
  }
}

const INT16_MAX = 0x7fff;
const INT32_MAX = 0x7fffffff;
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);
const SAFE_MIN = BigInt(Number.MIN_SAFE_INTEGER);
/** A zig-zag varint (int32) takes at most 5 bytes, a varlong (int64) at most 10. */
const VARINT_BYTES_MAX = 5;
const VARLONG_BYTES_MAX = 10;

/** Sequential decoder over one message; `offset` advances as fields are read. */
export class Reader {
  private readonly buf: Buffer;
  private pos: number;

  constructor(buf: Buffer, offset = 0) {
    this.buf = buf;
    this.pos = offset;
  }

  get offset(): number {
    return this.pos;
  }

  remaining(): number {
    return this.buf.length - this.pos;
  }

  /** Throws unless every byte has been consumed. */
  expectEnd(): void {
    if (this.pos !== this.buf.length) {
      throw new ProtocolError('trailing_bytes', this.pos, `${this.remaining()} unexpected bytes after the message`);
    }
  }

  private need(n: number, what: string): number {
    if (this.remaining() < n) {
      throw new ProtocolError('truncated', this.pos, `${what} needs ${n} bytes, ${this.remaining()} left`);
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  int8(): number {
    return this.buf.readInt8(this.need(1, 'int8'));
  }

  int16(): number {
    return this.buf.readInt16BE(this.need(2, 'int16'));
  }

  int32(): number {
    return this.buf.readInt32BE(this.need(4, 'int32'));
  }

  uint32(): number {
    return this.buf.readUInt32BE(this.need(4, 'uint32'));
  }

  /** int64 as a JS number; values beyond 2^53 cannot be offsets or ids of this broker. */
  int64(): number {
    const at = this.pos;
    return toSafe(this.buf.readBigInt64BE(this.need(8, 'int64')), at);
  }

  boolean(): boolean {
    const at = this.pos;
    const b = this.buf.readUInt8(this.need(1, 'boolean'));
    if (b > 1) throw new ProtocolError('invalid_boolean', at, `boolean byte ${b}`);
    return b === 1;
  }

  /** Unsigned LEB128 varint of at most 32 bits (compact lengths and counts). */
  uvarint(): number {
    const at = this.pos;
    let value = 0;
    for (let i = 0; i < VARINT_BYTES_MAX; i++) {
      const b = this.buf.readUInt8(this.need(1, 'varint'));
      value += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) {
        if (value > 0xffffffff) throw new ProtocolError('invalid_varint', at, 'varint exceeds 32 bits');
        return value;
      }
    }
    throw new ProtocolError('invalid_varint', at, `varint longer than ${VARINT_BYTES_MAX} bytes`);
  }

  /** Zig-zag varint (int32), as record fields use. */
  varint(): number {
    const u = this.uvarint();
    // Zig-zag: even values are non-negative, odd ones negative (u = 2n for n ≥ 0, 2|n|-1 otherwise).
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }

  /** Zig-zag varlong (int64) as a JS number, range-checked. */
  varlong(): number {
    const at = this.pos;
    let u = 0n;
    for (let i = 0; i < VARLONG_BYTES_MAX; i++) {
      const b = this.buf.readUInt8(this.need(1, 'varlong'));
      u |= BigInt(b & 0x7f) << BigInt(7 * i);
      if ((b & 0x80) === 0) {
        if (u >> 64n !== 0n) throw new ProtocolError('invalid_varint', at, 'varlong exceeds 64 bits');
        return toSafe((u >> 1n) ^ -(u & 1n), at);
      }
    }
    throw new ProtocolError('invalid_varint', at, `varlong longer than ${VARLONG_BYTES_MAX} bytes`);
  }

  /** i16-length UTF-8 string; -1 (null) is rejected. */
  string(): string {
    const at = this.pos;
    const s = this.nullableString();
    if (s === null) throw new ProtocolError('unexpected_null', at, 'null where a string is required');
    return s;
  }

  /** i16-length UTF-8 string; length -1 is null. */
  nullableString(): string | null {
    const at = this.pos;
    const len = this.int16();
    if (len === -1) return null;
    this.checkLength(len, at, 'string');
    const start = this.need(len, 'string');
    return this.buf.toString('utf8', start, start + len);
  }

  /** i32-length bytes; -1 (null) is rejected. Shares memory with the input buffer. */
  bytes(): Buffer {
    const at = this.pos;
    const b = this.nullableBytes();
    if (b === null) throw new ProtocolError('unexpected_null', at, 'null where bytes are required');
    return b;
  }

  /** i32-length bytes; length -1 is null. Shares memory with the input buffer (no copy). */
  nullableBytes(): Buffer | null {
    const at = this.pos;
    const len = this.int32();
    if (len === -1) return null;
    this.checkLength(len, at, 'bytes');
    const start = this.need(len, 'bytes');
    return this.buf.subarray(start, start + len);
  }

  /** i32-count array; -1 (null) is rejected. */
  array<T>(item: (r: Reader) => T): T[] {
    const at = this.pos;
    const a = this.nullableArray(item);
    if (a === null) throw new ProtocolError('unexpected_null', at, 'null where an array is required');
    return a;
  }

  /**
   * i32-count array; count -1 is null. Every element of every array in this protocol takes at
   * least one byte, so a count above the bytes left is malformed and is refused before any work.
   */
  nullableArray<T>(item: (r: Reader) => T): T[] | null {
    const at = this.pos;
    const count = this.int32();
    if (count === -1) return null;
    this.checkLength(count, at, 'array');
    const out: T[] = [];
    for (let i = 0; i < count; i++) out.push(item(this));
    return out;
  }

  private checkLength(len: number, at: number, what: string): void {
    if (len < 0) throw new ProtocolError('invalid_length', at, `${what} length ${len}`);
    if (len > this.remaining()) {
      throw new ProtocolError('invalid_length', at, `${what} length ${len} exceeds the ${this.remaining()} bytes left`);
    }
  }
}

function toSafe(v: bigint, at: number): number {
  if (v > SAFE_MAX || v < SAFE_MIN) throw new ProtocolError('int64_out_of_range', at, `int64 ${v} is outside the safe integer range`);
  return Number(v);
}

/** Growing encoder; `finish()` returns exactly the bytes written. */
export class Writer {
  private buf: Buffer;
  private pos = 0;

  constructor(initialBytes = 256) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  get length(): number {
    return this.pos;
  }

  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /**
   * Makes room for n bytes and returns where they start. Call it before touching `this.buf`:
   * it may swap in a bigger buffer, so `this.buf.writeX(v, this.reserve(n))` would write to
   * the old one.
   */
  private reserve(n: number): number {
    if (this.pos + n > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
      this.buf.copy(next, 0, 0, this.pos);
      this.buf = next;
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  int8(v: number): this {
    const at = this.reserve(1);
    this.buf.writeInt8(v, at);
    return this;
  }

  int16(v: number): this {
    const at = this.reserve(2);
    this.buf.writeInt16BE(v, at);
    return this;
  }

  int32(v: number): this {
    const at = this.reserve(4);
    this.buf.writeInt32BE(v, at);
    return this;
  }

  uint32(v: number): this {
    const at = this.reserve(4);
    this.buf.writeUInt32BE(v, at);
    return this;
  }

  int64(v: number): this {
    assert.ok(Number.isSafeInteger(v), `int64 field must be a safe integer, got ${v}`);
    const at = this.reserve(8);
    this.buf.writeBigInt64BE(BigInt(v), at);
    return this;
  }

  boolean(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }

  uvarint(v: number): this {
    assert.ok(Number.isInteger(v) && v >= 0 && v <= 0xffffffff, `uvarint out of range: ${v}`);
    let rest = v;
    while (rest >= 0x80) {
      const at = this.reserve(1);
      this.buf.writeUInt8((rest % 0x80) | 0x80, at);
      rest = Math.floor(rest / 0x80);
    }
    const at = this.reserve(1);
    this.buf.writeUInt8(rest, at);
    return this;
  }

  varint(v: number): this {
    assert.ok(Number.isInteger(v) && v >= -0x80000000 && v <= INT32_MAX, `varint out of range: ${v}`);
    return this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  varlong(v: number): this {
    assert.ok(Number.isSafeInteger(v), `varlong must be a safe integer, got ${v}`);
    const n = BigInt(v);
    let u = (n << 1n) ^ (n >> 63n);
    while (u >= 0x80n) {
      const at = this.reserve(1);
      this.buf.writeUInt8(Number(u & 0x7fn) | 0x80, at);
      u >>= 7n;
    }
    const at = this.reserve(1);
    this.buf.writeUInt8(Number(u), at);
    return this;
  }

  string(v: string): this {
    const len = Buffer.byteLength(v, 'utf8');
    assert.ok(len <= INT16_MAX, `string of ${len} bytes exceeds the int16 length`);
    this.int16(len);
    const at = this.reserve(len);
    this.buf.write(v, at, len, 'utf8');
    return this;
  }

  nullableString(v: string | null): this {
    return v === null ? this.int16(-1) : this.string(v);
  }

  bytes(v: Buffer): this {
    this.int32(v.length);
    const at = this.reserve(v.length);
    v.copy(this.buf, at);
    return this;
  }

  nullableBytes(v: Buffer | null): this {
    return v === null ? this.int32(-1) : this.bytes(v);
  }

  /** Raw bytes with no length prefix. */
  raw(v: Buffer): this {
    const at = this.reserve(v.length);
    v.copy(this.buf, at);
    return this;
  }

  array<T>(items: readonly T[], item: (w: Writer, v: T) => void): this {
    this.int32(items.length);
    for (const v of items) item(this, v);
    return this;
  }

  nullableArray<T>(items: readonly T[] | null, item: (w: Writer, v: T) => void): this {
    return items === null ? this.int32(-1) : this.array(items, item);
  }
}

/** Element codecs for arrays of scalars. */
export const readInt32 = (r: Reader): number => r.int32();
export const readString = (r: Reader): string => r.string();
export const writeInt32 = (w: Writer, v: number): void => {
  w.int32(v);
};
export const writeString = (w: Writer, v: string): void => {
  w.string(v);
};
