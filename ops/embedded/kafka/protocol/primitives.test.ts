import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolError, Reader, Writer } from './primitives.ts';
import { assertProtocolError } from './test-bytes.ts';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('writer encodes fixed-width integers big-endian', () => {
  const out = new Writer(1).int8(-1).int16(0x0102).int32(-2).uint32(0xfffffffe).int64(2 ** 40 + 5).finish();
  assert.deepEqual(out, hex('ff 0102 fffffffe fffffffe 0000010000000005'));
});

test('reader decodes what the writer wrote, for every type', () => {
  const records = Buffer.from([1, 2, 3]);
  const w = new Writer(4)
    .int8(-128).int16(-32768).int32(-2147483648).uint32(4294967295).int64(Number.MIN_SAFE_INTEGER)
    .boolean(true).varint(-1).varint(2147483647).varlong(Number.MAX_SAFE_INTEGER).varlong(-300).uvarint(300)
    .string('héllo').nullableString(null).bytes(records).nullableBytes(null)
    .array([1, 2], (w2, v) => w2.int32(v)).nullableArray(null, (w2, v: number) => w2.int32(v));
  const r = new Reader(w.finish());
  assert.equal(r.int8(), -128);
  assert.equal(r.int16(), -32768);
  assert.equal(r.int32(), -2147483648);
  assert.equal(r.uint32(), 4294967295);
  assert.equal(r.int64(), Number.MIN_SAFE_INTEGER);
  assert.equal(r.boolean(), true);
  assert.equal(r.varint(), -1);
  assert.equal(r.varint(), 2147483647);
  assert.equal(r.varlong(), Number.MAX_SAFE_INTEGER);
  assert.equal(r.varlong(), -300);
  assert.equal(r.uvarint(), 300);
  assert.equal(r.string(), 'héllo');
  assert.equal(r.nullableString(), null);
  assert.deepEqual(r.bytes(), records);
  assert.equal(r.nullableBytes(), null);
  assert.deepEqual(r.array((r2) => r2.int32()), [1, 2]);
  assert.equal(r.nullableArray((r2) => r2.int32()), null);
  r.expectEnd();
});

test('varints use zig-zag encoding as record fields do', () => {
  // Zig-zag maps 0,-1,1,-2,2 to 0,1,2,3,4; 64 → 128 needs a continuation byte.
  assert.deepEqual(new Writer().varint(0).varint(-1).varint(1).varint(-2).varint(64).finish(), hex('00 01 02 03 8001'));
  assert.deepEqual(new Writer().varlong(-1).varlong(150).finish(), hex('01 ac02'));
  // The extremes of int32: zig-zag 0xfffffffe is 2^31-1, 0xffffffff is -2^31.
  assert.equal(new Reader(hex('feffffff0f')).varint(), 2147483647);
  assert.equal(new Reader(hex('ffffffff0f')).varint(), -2147483648);
});

test('strings and bytes carry their lengths, with -1 for null', () => {
  assert.deepEqual(new Writer().string('ab').nullableString(null).finish(), hex('0002 6162 ffff'));
  assert.deepEqual(new Writer().bytes(Buffer.from([9])).nullableBytes(null).finish(), hex('00000001 09 ffffffff'));
});

test('reader rejects every short read with a truncated error', () => {
  assertProtocolError(() => new Reader(hex('00')).int16(), 'truncated');
  assertProtocolError(() => new Reader(hex('000000')).int32(), 'truncated');
  assertProtocolError(() => new Reader(hex('000000')).uint32(), 'truncated');
  assertProtocolError(() => new Reader(hex('00000000000000')).int64(), 'truncated');
  assertProtocolError(() => new Reader(hex('')).int8(), 'truncated');
  assertProtocolError(() => new Reader(hex('')).boolean(), 'truncated');
  assertProtocolError(() => new Reader(hex('80')).varint(), 'truncated');
  assertProtocolError(() => new Reader(hex('8080')).varlong(), 'truncated');
  assertProtocolError(() => new Reader(hex('00')).string(), 'truncated');
});

test('reader refuses lengths beyond the remaining bytes before allocating', () => {
  // A 2 GiB bytes field or array count in a 4-byte message must not allocate anything.
  assertProtocolError(() => new Reader(hex('7fffffff')).bytes(), 'invalid_length');
  assertProtocolError(() => new Reader(hex('7fffffff')).array((r) => r.int8()), 'invalid_length');
  assertProtocolError(() => new Reader(hex('0005 6162')).string(), 'invalid_length');
  assertProtocolError(() => new Reader(hex('00000003 0102')).nullableBytes(), 'invalid_length');
});

test('reader refuses negative lengths other than the null marker', () => {
  assertProtocolError(() => new Reader(hex('fffe')).nullableString(), 'invalid_length');
  assertProtocolError(() => new Reader(hex('fffffffe')).nullableBytes(), 'invalid_length');
  assertProtocolError(() => new Reader(hex('80000000')).nullableArray((r) => r.int8()), 'invalid_length');
});

test('reader refuses null where the field is not nullable', () => {
  assertProtocolError(() => new Reader(hex('ffff')).string(), 'unexpected_null');
  assertProtocolError(() => new Reader(hex('ffffffff')).bytes(), 'unexpected_null');
  assertProtocolError(() => new Reader(hex('ffffffff')).array((r) => r.int8()), 'unexpected_null');
});

test('reader refuses int64 values outside the safe integer range', () => {
  assertProtocolError(() => new Reader(hex('0020000000000000')).int64(), 'int64_out_of_range');
  assertProtocolError(() => new Reader(hex('8000000000000000')).int64(), 'int64_out_of_range');
  assert.equal(new Reader(hex('001fffffffffffff')).int64(), Number.MAX_SAFE_INTEGER);
  // Zig-zag 2^54 decodes to 2^53, one past the safe range.
  assertProtocolError(() => new Reader(hex('80808080808080 20')).varlong(), 'int64_out_of_range');
});

test('reader refuses overlong varints and bad booleans', () => {
  assertProtocolError(() => new Reader(hex('ffffffff7f')).uvarint(), 'invalid_varint');
  assertProtocolError(() => new Reader(hex('8080808080')).varint(), 'invalid_varint');
  assertProtocolError(() => new Reader(hex('ffffffffffffffffffff01')).varlong(), 'invalid_varint');
  // Ten bytes, but the last one carries bits beyond the 64th.
  assertProtocolError(() => new Reader(hex('ffffffffffffffffff7f')).varlong(), 'invalid_varint');
  assertProtocolError(() => new Reader(hex('02')).boolean(), 'invalid_boolean');
});

test('expectEnd reports trailing bytes', () => {
  const r = new Reader(hex('0001 ff'));
  r.int16();
  assertProtocolError(() => r.expectEnd(), 'trailing_bytes');
});

test('protocol errors carry a stable code and the byte offset', () => {
  const r = new Reader(hex('0000 00'));
  r.int16();
  try {
    r.int16();
    assert.fail('expected a ProtocolError');
  } catch (err) {
    assert.ok(err instanceof ProtocolError);
    assert.equal(err.code, 'truncated');
    assert.equal(err.offset, 2);
  }
});

test('writer grows its buffer past the initial size', () => {
  const big = Buffer.alloc(10_000, 7);
  const out = new Writer(1).bytes(big).int8(1).finish();
  assert.equal(out.length, 4 + 10_000 + 1);
  assert.deepEqual(out.subarray(4, 10_004), big);
});

test('writer asserts that int64 values are safe integers', () => {
  assert.throws(() => new Writer().int64(2 ** 53), assert.AssertionError);
  assert.throws(() => new Writer().int64(1.5), assert.AssertionError);
});
