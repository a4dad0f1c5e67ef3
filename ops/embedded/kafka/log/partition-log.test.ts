import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { TopicConfig } from '../contracts.ts';
import { openPartitionLog, type SegmentedPartitionLog } from './partition-log.ts';
import { BatchField, readBatchHeader, splitBatches } from './record-batch.ts';
import { decodeRecords } from './records.ts';
import { capturingLogger, tempDir, topicConfig, valueBatch } from './test-support.ts';

function open(dir: string, config: Partial<TopicConfig> = {}, fsyncIntervalMs = 0) {
  const { logger, lines } = capturingLogger();
  const log = openPartitionLog({ dir, topic: 't', partition: 0, config: topicConfig(config), logger, fsyncIntervalMs });
  return { log, lines };
}

/** Every record value in `bytes`, with its offset. */
function values(bytes: Buffer): Array<[number, string]> {
  return splitBatches(bytes).flatMap((b) => decodeRecords(b).map((r): [number, string] => [r.offset, r.value?.toString() ?? 'null']));
}

function fill(log: SegmentedPartitionLog, batches: number, perBatch: number): void {
  for (let i = 0; i < batches; i++) log.append(valueBatch(`b${i}`, perBatch, 1_700_000_000_000 + i * 1000));
}

test('partition log assigns offsets across segment rolls and reads them back', (t) => {
  const { dir, cleanup } = tempDir('plog-roll');
  t.after(cleanup);
  const { log } = open(dir, { segmentBytes: 1024 });
  for (let i = 0; i < 40; i++) {
    const r = log.append(valueBatch(`b${i}`, 3));
    assert.deepEqual(r, { baseOffset: i * 3, lastOffset: i * 3 + 2 });
  }
  assert.equal(log.logEndOffset(), 120);
  assert.equal(log.logStartOffset(), 0);
  assert.ok(log.segments.length > 3, `expected rolls, got ${log.segments.length} segments`);
  const logs = fs.readdirSync(dir).filter((n) => n.endsWith('.log')).sort();
  assert.equal(logs[0], '00000000000000000000.log');
  assert.ok(logs.every((n) => /^\d{20}\.log$/.test(n)));
  for (const seg of log.segments) assert.ok(seg.size <= 1024);
  const all = values(log.read(0, Infinity, 10_000_000).bytes);
  assert.equal(all.length, 120);
  all.forEach(([offset, value], i) => {
    assert.equal(offset, i);
    assert.equal(value, `b${Math.floor(i / 3)}-${i % 3}`);
  });
  for (let off = 0; off < 120; off++) {
    const r = log.read(off, Infinity, 1);
    const first = readBatchHeader(r.bytes);
    assert.ok(first.baseOffset <= off && off <= first.baseOffset + first.lastOffsetDelta, `offset ${off} in first batch`);
  }
  log.close();
});

test('partition log read honours limitOffset and maxBytes and always returns the first batch', (t) => {
  const { dir, cleanup } = tempDir('plog-read');
  t.after(cleanup);
  const { log } = open(dir, { segmentBytes: 4096 });
  fill(log, 30, 4);
  const one = log.read(5, Infinity, 1);
  assert.equal(splitBatches(one.bytes).length, 1);
  assert.equal(one.lastOffset, 7);
  const size = one.bytes.length;
  const three = log.read(5, Infinity, size * 3);
  assert.equal(splitBatches(three.bytes).length, 3);
  assert.equal(three.lastOffset, 15);
  const limited = log.read(0, 10, 10_000_000);
  assert.equal(limited.lastOffset, 11); // the batch holding offset 9 ends at 11
  assert.equal(splitBatches(limited.bytes).length, 3);
  assert.deepEqual(log.read(120, Infinity, 1000), { bytes: Buffer.alloc(0), lastOffset: -1 });
  assert.deepEqual(log.read(10, 8, 1000), { bytes: Buffer.alloc(0), lastOffset: -1 });
  const big = log.read(0, Infinity, 100_000_000);
  assert.equal(values(big.bytes).length, 120);
  assert.equal(big.lastOffset, 119);
  log.close();
});

test('partition log finds the first offset at or after a timestamp', (t) => {
  const { dir, cleanup } = tempDir('plog-ts');
  t.after(cleanup);
  const { log } = open(dir, { segmentBytes: 512 });
  fill(log, 50, 2); // batch i: offsets 2i..2i+1, timestamp base + 1000 i
  const base = 1_700_000_000_000;
  assert.equal(log.offsetForTimestamp(0), 0);
  assert.equal(log.offsetForTimestamp(base), 0);
  assert.equal(log.offsetForTimestamp(base + 1), 2);
  assert.equal(log.offsetForTimestamp(base + 25_000), 50);
  assert.equal(log.offsetForTimestamp(base + 49_000), 98);
  assert.equal(log.offsetForTimestamp(base + 49_001), 100);
  log.close();
});

test('partition log keeps its data and offsets across a reopen', (t) => {
  const { dir, cleanup } = tempDir('plog-reopen');
  t.after(cleanup);
  const first = open(dir, { segmentBytes: 2048 });
  fill(first.log, 100, 5);
  const before = first.log.read(0, Infinity, 100_000_000).bytes;
  first.log.close();
  assert.ok(fs.readdirSync(dir).some((n) => n.endsWith('.index')));
  const second = open(dir, { segmentBytes: 2048 });
  assert.equal(second.log.logEndOffset(), 500);
  assert.deepEqual(second.log.read(0, Infinity, 100_000_000).bytes, before);
  assert.equal(second.log.offsetForTimestamp(1_700_000_000_000 + 73_000), 365);
  assert.deepEqual(second.log.append(valueBatch('after', 2)), { baseOffset: 500, lastOffset: 501 });
  assert.equal(second.lines.filter((l) => l.level >= 40).length, 0);
  const headers = [...second.log.headers(250)];
  assert.equal(headers[0]?.baseOffset, 250);
  assert.equal(headers.length, 51);
  second.log.close();
});

test('partition log reopens after a kill without close, rebuilding a missing index', (t) => {
  const { dir, cleanup } = tempDir('plog-kill');
  t.after(cleanup);
  const first = open(dir, { segmentBytes: 1024 }, 60_000);
  fill(first.log, 60, 3);
  // No close(): the process "dies"; remove one closed segment's index to force a rebuild.
  fs.unlinkSync(path.join(dir, '00000000000000000000.index'));
  const second = open(dir, { segmentBytes: 1024 });
  assert.equal(second.log.logEndOffset(), 180);
  assert.equal(values(second.log.read(0, Infinity, 100_000_000).bytes).length, 180);
  assert.ok(fs.existsSync(path.join(dir, '00000000000000000000.index')), 'the rebuilt index is saved');
  second.log.close();
  first.log.close();
});

test('partition log truncates a torn tail of random bytes and appends at the right offset', (t) => {
  const { dir, cleanup } = tempDir('plog-torn');
  t.after(cleanup);
  const first = open(dir, { segmentBytes: 1024 });
  fill(first.log, 20, 2);
  first.log.close();
  const active = fs.readdirSync(dir).filter((n) => n.endsWith('.log')).sort().at(-1) as string;
  const file = path.join(dir, active);
  const goodBytes = fs.statSync(file).size;
  const torn = valueBatch('torn', 3).subarray(0, 50);
  fs.appendFileSync(file, Buffer.concat([torn, Buffer.from([1, 2, 3, 4, 5, 6, 7])]));
  const second = open(dir, { segmentBytes: 1024 });
  assert.equal(second.log.logEndOffset(), 40);
  assert.equal(fs.statSync(file).size, goodBytes);
  const warn = second.lines.find((l) => l.level === 40);
  assert.ok(warn !== undefined, 'a warning is logged');
  assert.equal(warn.file, file);
  assert.equal(warn.validBytes, goodBytes);
  assert.equal(warn.droppedBytes, 57);
  assert.deepEqual(second.log.append(valueBatch('next', 1)), { baseOffset: 40, lastOffset: 40 });
  assert.deepEqual(values(second.log.read(40, Infinity, 1000).bytes), [[40, 'next-0']]);
  second.log.close();
});

test('partition log truncates a last batch whose CRC byte was flipped', (t) => {
  const { dir, cleanup } = tempDir('plog-crc');
  t.after(cleanup);
  const first = open(dir);
  fill(first.log, 10, 2);
  first.log.close();
  const file = path.join(dir, '00000000000000000000.log');
  const bytes = fs.readFileSync(file);
  const batches = splitBatches(bytes);
  const lastStart = bytes.length - (batches.at(-1) as Buffer).length;
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, Buffer.from([bytes[lastStart + BatchField.crc + 1] as number ^ 0x01]), 0, 1, lastStart + BatchField.crc + 1);
  fs.closeSync(fd);
  const second = open(dir);
  assert.equal(second.log.logEndOffset(), 18);
  const warn = second.lines.find((l) => l.level === 40);
  assert.equal(warn?.validBytes, lastStart);
  assert.equal(warn?.droppedBytes, bytes.length - lastStart);
  assert.deepEqual(second.log.append(valueBatch('again', 2)), { baseOffset: 18, lastOffset: 19 });
  second.log.close();
});

test('partition log with fsync interval 0 survives without close', (t) => {
  const { dir, cleanup } = tempDir('plog-fsync');
  t.after(cleanup);
  const first = open(dir, {}, 0);
  first.log.append(valueBatch('a', 1));
  first.log.sync();
  const second = open(dir);
  assert.equal(second.log.logEndOffset(), 1);
  second.log.close();
  first.log.close();
});

test('partition log truncates a tail batch whose offsets go backwards', (t) => {
  const { dir, cleanup } = tempDir('plog-backwards');
  t.after(cleanup);
  const first = open(dir);
  fill(first.log, 5, 2);
  first.log.close();
  const file = path.join(dir, '00000000000000000000.log');
  const goodBytes = fs.statSync(file).size;
  fs.appendFileSync(file, valueBatch('stale', 1)); // well-formed, CRC fine, but baseOffset 0 again
  const second = open(dir);
  assert.equal(second.log.logEndOffset(), 10);
  assert.equal(fs.statSync(file).size, goodBytes);
  assert.ok(second.lines.some((l) => l.level === 40 && l.droppedBytes === fs.statSync(file).size - goodBytes + valueBatch('stale', 1).length));
  second.log.close();
});
