import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { openPartitionLog } from './partition-log.ts';
import { readBatchHeader } from './record-batch.ts';
import { applyRetention } from './retention.ts';
import { capturingLogger, tempDir, topicConfig, valueBatch } from './test-support.ts';

const BASE_TS = 1_700_000_000_000;

test('retention by time deletes old segments, never the active one, and moves logStartOffset', (t) => {
  const { dir, cleanup } = tempDir('ret-time');
  t.after(cleanup);
  const { logger, lines } = capturingLogger();
  const log = openPartitionLog({ dir, topic: 't', partition: 0, config: topicConfig({ segmentBytes: 512, retentionMs: 60_000 }), logger, fsyncIntervalMs: 0 });
  for (let i = 0; i < 30; i++) log.append(valueBatch(`v${i}`, 2, BASE_TS + i * 10_000));
  const segmentsBefore = log.segments.length;
  assert.ok(segmentsBefore > 4);
  // now = last timestamp + 30 s: batches older than (now - 60 s) are expired.
  const now = BASE_TS + 29 * 10_000 + 30_000;
  const result = applyRetention(log, now, logger);
  assert.ok(result.deletedSegments > 0);
  assert.equal(result.logStartOffset, log.logStartOffset());
  assert.ok(log.logStartOffset() > 0);
  for (const seg of log.segments.slice(0, -1)) assert.ok(seg.maxTimestamp >= now - 60_000);
  const first = readBatchHeader(log.read(0, Infinity, 1).bytes);
  assert.equal(first.baseOffset, log.logStartOffset());
  assert.equal(fs.readdirSync(dir).filter((n) => n.endsWith('.log')).length, log.segments.length);
  assert.ok(lines.some((l) => l.msg === 'deleting log segment past retention' && l.reason === 'retention.ms'));
  // Everything expired: only the active segment survives and appends continue.
  applyRetention(log, now + 10_000_000, logger);
  assert.equal(log.segments.length, 1);
  assert.deepEqual(log.append(valueBatch('after', 1, now)), { baseOffset: 60, lastOffset: 60 });
  log.close();
});

test('retention by size deletes oldest segments while the rest still holds retention.bytes', (t) => {
  const { dir, cleanup } = tempDir('ret-size');
  t.after(cleanup);
  const { logger } = capturingLogger();
  const log = openPartitionLog({ dir, topic: 't', partition: 0, config: topicConfig({ segmentBytes: 1000, retentionBytes: 2500 }), logger, fsyncIntervalMs: 0 });
  for (let i = 0; i < 60; i++) log.append(valueBatch(`v${i}`, 1, BASE_TS, 100));
  const result = applyRetention(log, BASE_TS, logger);
  assert.ok(result.deletedSegments > 0);
  // Kafka's rule: a segment goes only if what remains is still at least retention.bytes.
  assert.ok(log.sizeBytes() >= 2500, `size ${log.sizeBytes()}`);
  assert.ok(log.sizeBytes() - (log.segments[0]?.size ?? 0) < 2500);
  assert.equal(log.logEndOffset(), 60);
  assert.ok(log.logStartOffset() > 0);
  log.close();
  const reopened = openPartitionLog({ dir, topic: 't', partition: 0, config: topicConfig({ segmentBytes: 1000, retentionBytes: 2500 }), logger, fsyncIntervalMs: 0 });
  assert.equal(reopened.logStartOffset(), result.logStartOffset);
  assert.equal(reopened.logEndOffset(), 60);
  reopened.close();
});

test('retention with -1 limits deletes nothing', (t) => {
  const { dir, cleanup } = tempDir('ret-none');
  t.after(cleanup);
  const { logger } = capturingLogger();
  const log = openPartitionLog({ dir, topic: 't', partition: 0, config: topicConfig({ segmentBytes: 300 }), logger, fsyncIntervalMs: 0 });
  for (let i = 0; i < 20; i++) log.append(valueBatch(`v${i}`, 1, BASE_TS));
  assert.equal(applyRetention(log, BASE_TS * 2, logger).deletedSegments, 0);
  assert.equal(log.logStartOffset(), 0);
  log.close();
});
