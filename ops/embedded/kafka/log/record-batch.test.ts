import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode } from '../contracts.ts';
import { BatchTooLargeError, CorruptBatchError } from './errors.ts';
import {
  BatchField,
  buildControlBatch,
  readBatchHeader,
  setBaseOffset,
  singleProduceBatch,
  splitBatches,
  validateBatch,
} from './record-batch.ts';
import { controlTypeOf, decodeRecords, encodeBatch } from './records.ts';

const TS = 1700000000000;

// Bytes produced by an independent magic-2 encoder for the same two records (transactional,
// pid 7, epoch 1, base sequence 3): one keyed record with a header, one null-key record.
const GOLDEN_BATCH_HEX =
  '00000000000000000000004b0000000002ca02252b0010000000010000018bcfe568000000018bcfe568050000000000000007' +
  '0001000000030000000222000000046b310a68656c6c6f02026802760e000a0201027800';

// COMMIT marker for pid 7 epoch 1 at TS, CRC computed by an independent CRC-32C implementation.
const GOLDEN_COMMIT_HEX =
  '0000000000000000000000420000000002c07807a80030000000000000018bcfe568000000018bcfe568000000000000000007' +
  '0001ffffffff000000012000000008000000010c00000000000000';

function goldenRecords() {
  return [
    { key: Buffer.from('k1'), value: Buffer.from('hello'), headers: [{ key: 'h', value: Buffer.from('v') }], timestamp: TS },
    { key: null, value: Buffer.from('x'), timestamp: TS + 5 },
  ];
}

test('encodeBatch produces the golden magic-2 bytes', () => {
  const batch = encodeBatch(goldenRecords(), { producerId: 7, producerEpoch: 1, baseSequence: 3, transactional: true });
  assert.equal(batch.toString('hex'), GOLDEN_BATCH_HEX);
});

test('readBatchHeader decodes every field of the golden batch', () => {
  const header = readBatchHeader(Buffer.from(GOLDEN_BATCH_HEX, 'hex'));
  assert.deepEqual(header, {
    baseOffset: 0,
    batchLength: 75,
    partitionLeaderEpoch: 0,
    magic: 2,
    crc: 0xca02252b,
    attributes: 0x10,
    lastOffsetDelta: 1,
    baseTimestamp: TS,
    maxTimestamp: TS + 5,
    producerId: 7,
    producerEpoch: 1,
    baseSequence: 3,
    recordCount: 2,
    isTransactional: true,
    isControl: false,
  });
});

test('decodeRecords returns keys, values, headers, offsets and timestamps', () => {
  const batch = Buffer.from(GOLDEN_BATCH_HEX, 'hex');
  setBaseOffset(batch, 40);
  const records = decodeRecords(batch);
  assert.equal(records.length, 2);
  assert.deepEqual(
    records.map((r) => ({ offset: r.offset, timestamp: r.timestamp, key: r.key?.toString() ?? null, value: r.value?.toString() ?? null, headers: r.headers.map((h) => [h.key, h.value?.toString()]) })),
    [
      { offset: 40, timestamp: TS, key: 'k1', value: 'hello', headers: [['h', 'v']] },
      { offset: 41, timestamp: TS + 5, key: null, value: 'x', headers: [] },
    ],
  );
});

test('buildControlBatch produces the golden COMMIT marker and is recognised as one', () => {
  const marker = buildControlBatch({ producerId: 7, producerEpoch: 1, commit: true, timestampMs: TS });
  assert.equal(marker.toString('hex'), GOLDEN_COMMIT_HEX);
  const header = validateBatch(marker);
  assert.equal(header.isControl, true);
  assert.equal(header.isTransactional, true);
  assert.equal(controlTypeOf(marker), 'commit');
  const abort = buildControlBatch({ producerId: 7, producerEpoch: 1, commit: false, timestampMs: TS });
  assert.equal(controlTypeOf(abort), 'abort');
  assert.equal(validateBatch(abort).recordCount, 1);
  assert.equal(controlTypeOf(Buffer.from(GOLDEN_BATCH_HEX, 'hex')), undefined);
});

test('setBaseOffset rewrites the offset without invalidating the CRC', () => {
  const batch = Buffer.from(GOLDEN_BATCH_HEX, 'hex');
  setBaseOffset(batch, 2 ** 40 + 3);
  assert.equal(validateBatch(batch).baseOffset, 2 ** 40 + 3);
});

test('validateBatch rejects a flipped CRC byte with CORRUPT_MESSAGE', () => {
  const batch = Buffer.from(GOLDEN_BATCH_HEX, 'hex');
  batch[BatchField.crc] = (batch[BatchField.crc] as number) ^ 0xff;
  assert.throws(() => validateBatch(batch), (err: unknown) => err instanceof CorruptBatchError && err.code === 'corrupt_batch' && err.kafkaCode === ErrorCode.CORRUPT_MESSAGE);
});

test('validateBatch rejects magic other than 2', () => {
  const batch = Buffer.from(GOLDEN_BATCH_HEX, 'hex');
  batch.writeInt8(1, BatchField.magic);
  assert.throws(() => validateBatch(batch), (err: unknown) => err instanceof CorruptBatchError && err.code === 'unsupported_magic' && err.kafkaCode === ErrorCode.CORRUPT_MESSAGE);
});

test('validateBatch rejects lengths that are too short, too long or truncated', () => {
  const batch = Buffer.from(GOLDEN_BATCH_HEX, 'hex');
  assert.throws(() => validateBatch(batch.subarray(0, 40)), CorruptBatchError);
  assert.throws(() => validateBatch(batch.subarray(0, batch.length - 1)), CorruptBatchError);
  const short = Buffer.from(batch);
  short.writeInt32BE(10, BatchField.batchLength);
  assert.throws(() => validateBatch(short), CorruptBatchError);
  const huge = Buffer.from(batch);
  huge.writeInt32BE(2 ** 30, BatchField.batchLength);
  assert.throws(() => validateBatch(huge), (err: unknown) => err instanceof BatchTooLargeError && err.kafkaCode === ErrorCode.MESSAGE_TOO_LARGE);
});

test('singleProduceBatch accepts exactly one batch per partition', () => {
  const one = Buffer.from(GOLDEN_BATCH_HEX, 'hex');
  assert.equal(singleProduceBatch(one).header.recordCount, 2);
  const two = Buffer.concat([one, one]);
  assert.throws(() => singleProduceBatch(two), (err: unknown) => err instanceof CorruptBatchError && err.code === 'batch_count');
  assert.throws(() => singleProduceBatch(Buffer.alloc(0)), (err: unknown) => err instanceof CorruptBatchError && err.code === 'batch_count');
  assert.equal(splitBatches(two).length, 2);
});

test('encodeBatch round-trips through decodeRecords with null values and many records', () => {
  const input = Array.from({ length: 300 }, (_, i) => ({ key: Buffer.from(`key-${i}`), value: i % 7 === 0 ? null : Buffer.alloc(i, i), timestamp: TS + i * 1000 }));
  const batch = encodeBatch(input, { baseOffset: 5 });
  const header = validateBatch(batch);
  assert.equal(header.lastOffsetDelta, 299);
  assert.equal(header.maxTimestamp, TS + 299_000);
  const out = decodeRecords(batch);
  assert.equal(out.length, 300);
  out.forEach((r, i) => {
    assert.equal(r.offset, 5 + i);
    assert.equal(r.timestamp, TS + i * 1000);
    assert.deepEqual(r.value, input[i]?.value ?? null);
  });
});

test('decodeRecords rejects a record that runs past the batch end', () => {
  const batch = encodeBatch([{ key: null, value: Buffer.from('abc') }]);
  batch.writeUInt8(0x7e, 61); // record length 63, far beyond the batch
  assert.throws(() => decodeRecords(batch), CorruptBatchError);
});
