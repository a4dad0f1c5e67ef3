/**
 * Builders for golden bytes in the protocol tests. They use Buffer's own writers, never the
 * Writer under test, so an expected buffer is an independent statement of the wire format.
 */
import assert from 'node:assert/strict';
import { ProtocolError, Reader } from './primitives.ts';

export const i8 = (v: number): Buffer => {
  const b = Buffer.alloc(1);
  b.writeInt8(v);
  return b;
};
export const i16 = (v: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(v);
  return b;
};
export const i32 = (v: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v);
  return b;
};
export const i64 = (v: number | bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(v));
  return b;
};
export const bool = (v: boolean): Buffer => Buffer.from([v ? 1 : 0]);
/** i16 length then UTF-8 bytes; null is length -1. */
export const str = (v: string | null): Buffer => (v === null ? i16(-1) : Buffer.concat([i16(Buffer.byteLength(v)), Buffer.from(v, 'utf8')]));
/** i32 length then the bytes; null is length -1. */
export const byt = (v: Buffer | null): Buffer => (v === null ? i32(-1) : Buffer.concat([i32(v.length), v]));
/** An i32 array count (-1 for null). */
export const count = (n: number): Buffer => i32(n);
export const cat = (...parts: Buffer[]): Buffer => Buffer.concat(parts);

/** Every strict prefix of a valid message must fail to decode with a ProtocolError, never anything else. */
export function assertEveryTruncationRejected(valid: Buffer, decode: (r: Reader) => unknown): void {
  for (let n = 0; n < valid.length; n++) {
    assert.throws(
      () => decode(new Reader(valid.subarray(0, n))),
      (err: unknown) => err instanceof ProtocolError && (err.code === 'truncated' || err.code === 'invalid_length'),
      `prefix of ${n}/${valid.length} bytes was not rejected`,
    );
  }
}

/** Decoding must fail with exactly this ProtocolError code. */
export function assertProtocolError(decode: () => unknown, code: ProtocolError['code']): void {
  assert.throws(decode, (err: unknown) => err instanceof ProtocolError && err.code === code);
}
