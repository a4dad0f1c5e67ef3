import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { cleanPartition } from './cleanup.ts';
import { compactLog } from './compaction.ts';
import { openPartitionLog, type SegmentedPartitionLog } from './partition-log.ts';
import { BatchField, buildControlBatch, splitBatches, validateBatch, writeCrc } from './record-batch.ts';
import { decodeRecords, encodeBatch } from './records.ts';
import { capturingLogger, tempDir, topicConfig } from './test-support.ts';

const NOW = 1_700_000_000_000;
const DAY = 86_400_000;

function openCompacted(dir: string) {
  const { logger, lines } = capturingLogger();
  const log = openPartitionLog({ dir, topic: 'c', partition: 0, config: topicConfig({ cleanupPolicy: 'compact', segmentBytes: 400, deleteRetentionMs: DAY }), logger, fsyncIntervalMs: 0 });
  return { log, logger, lines };
}

function put(log: SegmentedPartitionLog, key: string, value: string | null, timestamp = NOW, opts: { producerId?: number; transactional?: boolean } = {}): number {
  const batch = encodeBatch([{ key: Buffer.from(key), value: value === null ? null : Buffer.from(value), timestamp }], opts);
  return log.append(batch).baseOffset;
}

/** offset → [key, value] of every stored record, checking every batch's framing and CRC. */
function contents(log: SegmentedPartitionLog): Map<number, [string, string | null]> {
  const out = new Map<number, [string, string | null]>();
  for (const batch of splitBatches(log.read(0, Infinity, 1e9).bytes)) {
    validateBatch(batch);
    for (const r of decodeRecords(batch)) out.set(r.offset, [r.key?.toString() ?? '', r.value?.toString() ?? null]);
  }
  return out;
}

test('compaction keeps the latest value per key, drops old tombstones and preserves offsets', (t) => {
  const { dir, cleanup } = tempDir('compact');
  t.after(cleanup);
  const { log, logger } = openCompacted(dir);
  const expected = new Map<string, number>();
  for (let round = 0; round < 6; round++) {
    for (let k = 0; k < 5; k++) expected.set(`k${k}`, put(log, `k${k}`, `r${round}`));
  }
  const oldTombstone = put(log, 'k1', null, NOW - 2 * DAY);
  const freshTombstone = put(log, 'k2', null, NOW);
  // Fill past a roll so both tombstones sit in closed segments.
  for (let i = 0; i < 12; i++) put(log, `filler${i}`, 'x');
  const activeBase = log.segments.at(-1)?.baseOffset ?? 0;
  assert.ok(freshTombstone < activeBase, 'tombstones are in closed segments');
  const before = contents(log);
  const endBefore = log.logEndOffset();

  const result = compactLog(log, NOW, logger);
  assert.ok(result.rewrittenSegments > 0);
  assert.equal(result.tombstonesKept, 1);
  const after = contents(log);
  assert.equal(log.logEndOffset(), endBefore);
  assert.equal(log.logStartOffset(), 0);
  // Offsets and bytes of kept records are unchanged.
  for (const [offset, kv] of after) assert.deepEqual(before.get(offset), kv);
  assert.equal(after.has(oldTombstone), false, 'an expired tombstone is dropped');
  assert.equal(after.has(expected.get('k1') as number), false, 'a value superseded by a tombstone is dropped');
  assert.deepEqual(after.get(freshTombstone), ['k2', null]);
  for (const k of ['k0', 'k3', 'k4']) {
    const offsets = [...after].filter(([, [key]]) => key === k).map(([o]) => o);
    assert.deepEqual(offsets, [expected.get(k)]);
    assert.deepEqual(after.get(expected.get(k) as number), [k, 'r5']);
  }
  // Reads from any offset still work, and a reopen sees the same log.
  const mid = log.read(7, Infinity, 1);
  assert.ok(splitBatches(mid.bytes).length === 1 && mid.lastOffset >= 7);
  log.close();
  const again = openCompacted(dir);
  assert.deepEqual(contents(again.log), after);
  assert.equal(again.log.logEndOffset(), endBefore);
  assert.equal(again.lines.filter((l) => l.level >= 40).length, 0);
  // Once the fresh tombstone ages past delete.retention.ms it goes too.
  const later = compactLog(again.log, NOW + 2 * DAY, again.logger);
  assert.equal(later.tombstonesKept, 0);
  assert.equal(contents(again.log).has(freshTombstone), false);
  again.log.close();
});

test('compaction keys decide across the active segment too', (t) => {
  const { dir, cleanup } = tempDir('compact-active');
  t.after(cleanup);
  const { log, logger } = openCompacted(dir);
  const old = put(log, 'a', 'old');
  for (let i = 0; i < 10; i++) put(log, `f${i}`, 'x');
  const latest = put(log, 'a', 'new');
  assert.ok(latest >= (log.segments.at(-1)?.baseOffset ?? Infinity) && old < (log.segments[0]?.nextOffset ?? 0), 'old value closed, newest active');
  compactLog(log, NOW, logger);
  const after = contents(log);
  assert.equal(after.has(old), false);
  assert.deepEqual(after.get(latest), ['a', 'new']);
  log.close();
});

test('compaction empties aborted transactional batches and never lets them supersede committed values', (t) => {
  const { dir, cleanup } = tempDir('compact-txn');
  t.after(cleanup);
  const { log, logger } = openCompacted(dir);
  const committed = put(log, 'k', 'committed', NOW, { producerId: 1, transactional: true });
  log.append(buildControlBatch({ producerId: 1, producerEpoch: 0, commit: true, timestampMs: NOW }));
  const aborted = put(log, 'k', 'aborted', NOW, { producerId: 2, transactional: true });
  const abortMarker = log.append(buildControlBatch({ producerId: 2, producerEpoch: 0, commit: false, timestampMs: NOW })).baseOffset;
  const open = put(log, 'k', 'open', NOW, { producerId: 3, transactional: true });
  for (let i = 0; i < 10; i++) put(log, `f${i}`, 'x');
  assert.ok(log.segments.length > 2);
  compactLog(log, NOW, logger);
  const after = contents(log);
  assert.deepEqual(after.get(committed), ['k', 'committed']);
  assert.equal(after.has(aborted), false);
  assert.deepEqual(after.get(open), ['k', 'open']);
  // The aborted batch's header survives (empty), and both markers are kept.
  const headers = [...log.headers(0)];
  const abortedHeader = headers.find((h) => h.baseOffset === aborted);
  assert.equal(abortedHeader?.recordCount, 0);
  assert.equal(abortedHeader?.producerId, 2);
  assert.ok(headers.some((h) => h.baseOffset === abortMarker && h.isControl));
  assert.equal(headers.filter((h) => h.isControl).length, 2);
  log.close();
});

test('compaction recovers from a crash that left a .cleaned file or a missing index', (t) => {
  const { dir, cleanup } = tempDir('compact-crash');
  t.after(cleanup);
  const first = openCompacted(dir);
  for (let round = 0; round < 4; round++) for (let k = 0; k < 4; k++) put(first.log, `k${k}`, `r${round}`);
  const before = contents(first.log);
  first.log.close();
  // A crash mid-compaction: a half-written .cleaned copy and a segment whose index was removed.
  const cleaned = path.join(dir, '00000000000000000000.log.cleaned');
  fs.writeFileSync(cleaned, Buffer.from('half a segment'));
  fs.rmSync(path.join(dir, '00000000000000000000.index'));
  const second = openCompacted(dir);
  assert.equal(fs.existsSync(cleaned), false);
  assert.ok(second.lines.some((l) => l.level === 40 && l.file === cleaned));
  assert.deepEqual(contents(second.log), before);
  compactLog(second.log, NOW, second.logger);
  assert.equal(fs.readdirSync(dir).filter((n) => n.endsWith('.cleaned')).length, 0);
  second.log.close();
});

test('cleanup skips compaction when the log has not changed since the last run', (t) => {
  const { dir, cleanup } = tempDir('compact-skip');
  t.after(cleanup);
  const { log, logger } = openCompacted(dir);
  for (let round = 0; round < 4; round++) for (let k = 0; k < 4; k++) put(log, `k${k}`, `r${round}`);
  assert.ok(cleanPartition(log, NOW, logger).compaction !== undefined);
  assert.equal(cleanPartition(log, NOW, logger).compaction, undefined);
  put(log, 'k0', 'r9');
  assert.ok(cleanPartition(log, NOW, logger).compaction !== undefined);
  // A kept tombstone makes another run due only once it expires.
  put(log, 'k1', null, NOW);
  for (let i = 0; i < 8; i++) put(log, `f${i}`, 'x');
  assert.equal(cleanPartition(log, NOW, logger).compaction?.oldestTombstoneMs, NOW);
  assert.equal(cleanPartition(log, NOW + DAY, logger).compaction, undefined);
  assert.equal(cleanPartition(log, NOW + DAY + 1, logger).compaction?.tombstonesKept, 0);
  log.close();
});

test('compaction removes emptied middle segments and reads across the gap still work', (t) => {
  const { dir, cleanup } = tempDir('compact-gap');
  t.after(cleanup);
  const { log, logger } = openCompacted(dir);
  for (let i = 0; i < 30; i++) put(log, 'same', `v${i}`);
  const segmentsBefore = log.segments.length;
  assert.ok(segmentsBefore > 3);
  compactLog(log, NOW, logger);
  assert.ok(log.segments.length < segmentsBefore);
  assert.equal(log.logStartOffset(), 0);
  const after = contents(log);
  const activeBase = log.segments.at(-1)?.baseOffset ?? 0;
  assert.deepEqual([...after.keys()].filter((o) => o < activeBase), [], 'closed segments hold nothing older than the latest value');
  // A fetch from an offset whose batch was removed gets the next stored batch.
  const r = log.read(3, Infinity, 1);
  assert.ok(r.lastOffset >= 3);
  assert.deepEqual(after.get(29), ['same', 'v29']);
  log.close();
  const again = openCompacted(dir);
  assert.deepEqual(contents(again.log), after);
  again.log.close();
});

test('compaction keeps compressed batches whole', (t) => {
  const { dir, cleanup } = tempDir('compact-codec');
  t.after(cleanup);
  const { log, logger } = openCompacted(dir);
  // A stand-in for a gzip batch: codec bits set, CRC recomputed; its records are never decoded.
  const compressed = encodeBatch([{ key: Buffer.from('z'), value: Buffer.from('opaque'), timestamp: NOW }]);
  compressed.writeInt16BE(1, BatchField.attributes);
  writeCrc(compressed);
  const at = log.append(Buffer.from(compressed)).baseOffset;
  for (let i = 0; i < 12; i++) put(log, 'z', `later${i}`);
  compactLog(log, NOW, logger);
  const stored = splitBatches(log.read(at, Infinity, 1).bytes)[0];
  assert.ok(stored !== undefined);
  assert.deepEqual(stored.subarray(8), compressed.subarray(8));
  log.close();
});
