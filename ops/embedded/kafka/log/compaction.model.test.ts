import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compactLog } from './compaction.ts';
import { openPartitionLog, type SegmentedPartitionLog } from './partition-log.ts';
import { splitBatches, validateBatch } from './record-batch.ts';
import { decodeRecords, encodeBatch } from './records.ts';
import { capturingLogger, tempDir, topicConfig } from './test-support.ts';

const NOW = 1_700_000_000_000;
const RETAIN_MS = 10_000;

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Written {
  offset: number;
  key: string;
  value: string | null;
  timestamp: number;
}

function stored(log: SegmentedPartitionLog): Map<number, Written> {
  const out = new Map<number, Written>();
  for (const batch of splitBatches(log.read(0, Infinity, 1e9).bytes)) {
    validateBatch(batch);
    for (const r of decodeRecords(batch)) out.set(r.offset, { offset: r.offset, key: r.key?.toString() ?? '', value: r.value?.toString() ?? null, timestamp: r.timestamp });
  }
  return out;
}

test('repeated compaction between random appends keeps exactly what a model says it must', (t) => {
  const { dir, cleanup } = tempDir('compact-model');
  t.after(cleanup);
  const random = rng(7);
  const { logger } = capturingLogger();
  const log = openPartitionLog({ dir, topic: 'cm', partition: 0, config: topicConfig({ cleanupPolicy: 'compact', segmentBytes: 2000, deleteRetentionMs: RETAIN_MS }), logger, fsyncIntervalMs: 1000 });
  const written: Written[] = [];
  let now = NOW;
  const seen = { active: 0, superseded: 0, latest: 0, expired: 0 };
  for (let round = 0; round < 8; round++) {
    for (let i = 0; i < 60; i++) {
      const records = Array.from({ length: 1 + Math.floor(random() * 4) }, () => {
        const key = `k${Math.floor(random() * 25)}`;
        const value = random() < 0.15 ? null : `v${round}-${i}-${Math.floor(random() * 1000)}`;
        return { key, value, timestamp: now - Math.floor(random() * 2 * RETAIN_MS) };
      });
      const batch = encodeBatch(records.map((r) => ({ key: Buffer.from(r.key), value: r.value === null ? null : Buffer.from(r.value), timestamp: r.timestamp })));
      const { baseOffset } = log.append(batch);
      records.forEach((r, j) => written.push({ offset: baseOffset + j, ...r }));
    }
    now += 3000;
    compactLog(log, now, logger);
    const activeBase = log.segments.at(-1)?.baseOffset ?? 0;
    const latest = new Map<string, number>();
    for (const w of written) latest.set(w.key, w.offset);
    const have = stored(log);
    for (const w of written) {
      const isLatest = latest.get(w.key) === w.offset;
      // Records in the active segment are untouched; older ones survive only as their key's latest,
      // and a latest tombstone survives only while younger than delete.retention.ms.
      if (w.offset >= activeBase) {
        seen.active++;
        assert.deepEqual(have.get(w.offset), w, `active record ${w.offset}`);
      } else if (!isLatest) {
        seen.superseded++;
        assert.equal(have.has(w.offset), false, `superseded record ${w.offset} of ${w.key}`);
      } else if (w.value !== null || w.timestamp >= now - RETAIN_MS) {
        seen.latest++;
        assert.deepEqual(have.get(w.offset), w, `latest record ${w.offset} of ${w.key}`);
      } else {
        seen.expired++;
        assert.equal(have.has(w.offset), false, `expired tombstone ${w.offset}`);
      }
    }
    assert.equal(log.logStartOffset(), 0);
  }
  for (const [branch, n] of Object.entries(seen)) assert.ok(n > 0, `the model never exercised ${branch}`);
  log.close();
});
