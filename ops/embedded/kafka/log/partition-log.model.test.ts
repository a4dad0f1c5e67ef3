import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openPartitionLog, type SegmentedPartitionLog } from './partition-log.ts';
import { readBatchHeader, splitBatches } from './record-batch.ts';
import { encodeBatch } from './records.ts';
import { capturingLogger, tempDir, topicConfig } from './test-support.ts';

/** Small deterministic PRNG (mulberry32) so a failure replays with the same seed. */
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

interface ModelBatch {
  base: number;
  last: number;
  size: number;
  maxTs: number;
}

/** What read() must return according to its contract, computed from the list of batches. */
function expectedRead(model: readonly ModelBatch[], fetch: number, limit: number, maxBytes: number): { count: number; last: number; first?: number } {
  let count = 0;
  let bytes = 0;
  let last = -1;
  let first: number | undefined;
  if (fetch >= limit) return { count: 0, last: -1 };
  for (const b of model) {
    if (b.last < fetch) continue;
    if (b.base >= limit) break;
    if (count > 0 && bytes + b.size > maxBytes) break;
    if (first === undefined) first = b.base;
    count++;
    bytes += b.size;
    last = b.last;
  }
  return { count, last, ...(first === undefined ? {} : { first }) };
}

function check(log: SegmentedPartitionLog, model: readonly ModelBatch[], random: () => number, rounds: number): void {
  const end = log.logEndOffset();
  for (let i = 0; i < rounds; i++) {
    const fetch = Math.floor(random() * (end + 1));
    const limit = random() < 0.3 ? fetch + Math.floor(random() * 50) : Infinity;
    const maxBytes = Math.floor(random() * 120_000);
    const want = expectedRead(model, fetch, Math.min(limit, end), maxBytes);
    const got = log.read(fetch, limit, maxBytes);
    const batches = splitBatches(got.bytes);
    assert.equal(batches.length, want.count, `read(${fetch}, ${limit}, ${maxBytes}) batch count`);
    assert.equal(got.lastOffset, want.last);
    if (want.first !== undefined) assert.equal(readBatchHeader(batches[0] as Buffer).baseOffset, want.first);
    const ts = Math.floor(random() * 2000);
    const hit = model.find((b) => b.maxTs >= ts);
    assert.equal(log.offsetForTimestamp(ts), hit === undefined ? end : hit.base, `offsetForTimestamp(${ts})`);
  }
}

test('partition log reads and timestamp lookups match a simple model over random batches', (t) => {
  const { dir, cleanup } = tempDir('plog-model');
  t.after(cleanup);
  const random = rng(20261122);
  const { logger } = capturingLogger();
  const config = topicConfig({ segmentBytes: 60_000 });
  let log = openPartitionLog({ dir, topic: 'm', partition: 0, config, logger, fsyncIntervalMs: 1000 });
  const model: ModelBatch[] = [];
  for (let i = 0; i < 400; i++) {
    const count = 1 + Math.floor(random() * 20);
    const valueBytes = Math.floor(random() * (random() < 0.1 ? 20_000 : 600));
    const timestamps = Array.from({ length: count }, () => Math.floor(random() * 2000));
    const batch = encodeBatch(timestamps.map((ts) => ({ key: null, value: Buffer.alloc(valueBytes, 7), timestamp: ts })), { baseTimestamp: 0 });
    const { baseOffset, lastOffset } = log.append(batch);
    model.push({ base: baseOffset, last: lastOffset, size: batch.length, maxTs: Math.max(...timestamps) });
  }
  assert.ok(log.segments.length > 5);
  check(log, model, random, 400);
  log.close();
  log = openPartitionLog({ dir, topic: 'm', partition: 0, config, logger, fsyncIntervalMs: 1000 });
  check(log, model, random, 200);
  log.close();
});
