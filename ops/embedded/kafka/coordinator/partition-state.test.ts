import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../contracts.ts';
import type { BatchHeader, PartitionLog, ProduceCheck } from '../contracts.ts';
import { buildControlBatch } from '../log/record-batch.ts';
import { PartitionStateImpl, incrementSequence } from './partition-state.ts';
import { SEQUENCE_MAX } from './limits.ts';
import { header, marker, prng } from './test-support.ts';

/** A partition log reduced to its end offset and the headers it stored. */
class FakePartition {
  leo = 0;
  readonly stored: BatchHeader[] = [];
  readonly state: PartitionStateImpl;

  constructor(issued: (pid: number) => boolean = (pid) => pid < 100, producersMax?: number) {
    this.state = new PartitionStateImpl(producersMax === undefined ? { isIssued: issued } : { isIssued: issued, producersMax });
  }

  produce(fields: Partial<BatchHeader>): ProduceCheck & { offset?: number } {
    const h = header(fields);
    const result = this.state.check(h);
    if (result.kind !== 'append') return result;
    const offset = this.append(h);
    return { ...result, offset };
  }

  append(h: BatchHeader): number {
    const stored = { ...h, baseOffset: this.leo };
    this.state.observe(stored);
    this.stored.push(stored);
    this.leo += h.lastOffsetDelta + 1;
    return stored.baseOffset;
  }

  endTxn(pid: number, epoch: number, commit: boolean): number {
    return this.append(marker(pid, epoch, 0, commit));
  }
}

const idem = (pid: number, epoch: number, seq: number, count = 1, txn = false): Partial<BatchHeader> => ({
  producerId: pid,
  producerEpoch: epoch,
  baseSequence: seq,
  lastOffsetDelta: count - 1,
  recordCount: count,
  isTransactional: txn,
  attributes: txn ? 0x10 : 0,
});

const code = (r: ProduceCheck): number | undefined => (r.kind === 'error' ? r.code : undefined);

test('partition state appends batches without a producer id unchecked', () => {
  const p = new FakePartition();
  assert.equal(p.produce({}).kind, 'append');
  assert.equal(p.produce({}).kind, 'append');
  assert.equal(p.state.lastStableOffset(p.leo), 2);
});

test('partition state answers 59 for a producer id never issued, and 49 when transactional', () => {
  const p = new FakePartition();
  assert.equal(code(p.produce(idem(500, 0, 0))), ErrorCode.UNKNOWN_PRODUCER_ID);
  assert.equal(code(p.produce(idem(500, 0, 0, 1, true))), ErrorCode.INVALID_PRODUCER_ID_MAPPING);
  assert.equal(p.leo, 0);
});

test('partition state fences a stale epoch with 47', () => {
  const p = new FakePartition();
  assert.equal(p.produce(idem(1, 3, 0)).kind, 'append');
  assert.equal(code(p.produce(idem(1, 2, 1))), ErrorCode.INVALID_PRODUCER_EPOCH);
  // The stale-epoch check comes before the duplicate check.
  assert.equal(code(p.produce(idem(1, 2, 0))), ErrorCode.INVALID_PRODUCER_EPOCH);
});

test('partition state requires sequence 0 for the first batch of a new producer or epoch', () => {
  const p = new FakePartition();
  assert.equal(code(p.produce(idem(1, 0, 5))), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  assert.equal(p.produce(idem(1, 0, 0, 3)).kind, 'append');
  assert.equal(code(p.produce(idem(1, 1, 3))), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  assert.equal(p.produce(idem(1, 1, 0)).kind, 'append');
  assert.equal(p.produce(idem(1, 1, 1)).kind, 'append');
});

test('partition state answers an exact retry with the original base offset and appends nothing', () => {
  const p = new FakePartition();
  p.produce({});
  const first = p.produce(idem(1, 0, 0, 3));
  assert.equal(first.offset, 1);
  p.produce(idem(1, 0, 3, 2));
  const leo = p.leo;
  assert.deepEqual(p.state.check(header(idem(1, 0, 0, 3))), { kind: 'duplicate', baseOffset: 1 });
  assert.deepEqual(p.state.check(header(idem(1, 0, 3, 2))), { kind: 'duplicate', baseOffset: 4 });
  // Overlapping but not identical: not a duplicate, and not the expected sequence either.
  assert.equal(code(p.state.check(header(idem(1, 0, 0, 2)))), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  assert.equal(p.leo, leo);
});

test('partition state answers 45 for a sequence gap and never 46', () => {
  const p = new FakePartition();
  p.produce(idem(1, 0, 0));
  assert.equal(code(p.produce(idem(1, 0, 2))), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  assert.equal(p.produce(idem(1, 0, 1)).kind, 'append');
});

test('partition state remembers only the last five batches of a producer', () => {
  const p = new FakePartition();
  for (let seq = 0; seq < 6; seq += 1) p.produce(idem(1, 0, seq));
  assert.equal(code(p.state.check(header(idem(1, 0, 0)))), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  assert.deepEqual(p.state.check(header(idem(1, 0, 1))), { kind: 'duplicate', baseOffset: 1 });
});

test('partition state wraps sequences past int32 max to zero', () => {
  assert.equal(incrementSequence(SEQUENCE_MAX, 1), 0);
  assert.equal(incrementSequence(SEQUENCE_MAX - 1, 3), 1);
  assert.equal(incrementSequence(5, 3), 8);
  const p = new FakePartition();
  // A stored batch ending exactly at int32 max: the next expected sequence is 0.
  p.append(header({ ...idem(1, 0, SEQUENCE_MAX - 1, 2) }));
  assert.equal(p.produce(idem(1, 0, 0, 2)).kind, 'append');
  assert.deepEqual(p.state.check(header(idem(1, 0, SEQUENCE_MAX - 1, 2))), { kind: 'duplicate', baseOffset: 0 });
  assert.equal(p.produce(idem(1, 0, 2)).kind, 'append');
});

test('partition state rejects control batches and missing sequences from clients', () => {
  const p = new FakePartition();
  assert.equal(code(p.produce({ ...idem(1, 0, 0), isControl: true })), ErrorCode.CORRUPT_MESSAGE);
  assert.equal(code(p.produce(idem(1, 0, -1))), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
});

test('partition state holds the LSO at the first offset of the oldest open transaction', () => {
  const p = new FakePartition();
  p.produce({});
  p.produce(idem(1, 0, 0, 2, true)); // offsets 1..2
  p.produce({}); // 3
  p.produce(idem(2, 0, 0, 1, true)); // 4
  assert.equal(p.state.lastStableOffset(p.leo), 1);
  p.produce(idem(1, 0, 2, 1, true)); // 5, same transaction: LSO unchanged
  assert.equal(p.state.lastStableOffset(p.leo), 1);
  const commitAt = p.endTxn(1, 0, true); // 6
  assert.equal(commitAt, 6);
  assert.equal(p.state.lastStableOffset(p.leo), 4);
  p.endTxn(2, 0, false); // 7
  assert.equal(p.state.lastStableOffset(p.leo), 8);
  assert.deepEqual(p.state.abortedRanges(0, 100), [{ producerId: 2, firstOffset: 4, lastOffset: 7 }]);
  // Sequences continue across transactions within one epoch; markers take none.
  assert.equal(p.produce(idem(1, 0, 3, 1, true)).kind, 'append');
});

test('partition state lists aborted ranges that overlap the fetched span, sorted by first offset', () => {
  const p = new FakePartition();
  p.produce(idem(1, 0, 0, 1, true)); // 0
  p.produce(idem(2, 0, 0, 1, true)); // 1
  p.endTxn(2, 0, false); // 2: range (2, 1..2)
  p.produce({}); // 3
  p.endTxn(1, 0, false); // 4: range (1, 0..4), starts earlier
  p.produce(idem(3, 0, 0, 1, true)); // 5
  p.endTxn(3, 0, false); // 6: range (3, 5..6)
  assert.deepEqual(
    p.state.abortedRanges(0, 6).map((r) => [r.producerId, r.firstOffset, r.lastOffset]),
    [
      [1, 0, 4],
      [2, 1, 2],
      [3, 5, 6],
    ],
  );
  assert.deepEqual(p.state.abortedRanges(3, 4).map((r) => r.producerId), [1]);
  assert.deepEqual(p.state.abortedRanges(5, 5).map((r) => r.producerId), [3]);
  assert.deepEqual(p.state.abortedRanges(7, 9), []);
  p.state.dropBefore(3);
  assert.deepEqual(p.state.abortedRanges(0, 9).map((r) => r.producerId), [1, 3]);
});

test('partition state ignores a marker for a producer with nothing open here', () => {
  const p = new FakePartition();
  p.produce(idem(1, 0, 0));
  p.endTxn(1, 0, false);
  assert.deepEqual(p.state.abortedRanges(0, 10), []);
  assert.equal(p.state.lastStableOffset(p.leo), p.leo);
});

test('partition state fences the old epoch once a marker with a bumped epoch is stored', () => {
  const p = new FakePartition();
  p.produce(idem(1, 0, 0, 1, true));
  p.produce(idem(1, 0, 1, 1, true));
  p.endTxn(1, 1, false); // timeout abort writes its marker with the bumped epoch
  assert.equal(code(p.produce(idem(1, 0, 2, 1, true))), ErrorCode.INVALID_PRODUCER_EPOCH);
  assert.equal(code(p.produce(idem(1, 1, 2, 1, true))), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  assert.equal(p.produce(idem(1, 1, 0, 1, true)).kind, 'append');
});

test('partition state forgets the least recently active producer without an open transaction', () => {
  const p = new FakePartition(undefined, 2);
  p.produce(idem(1, 0, 0, 1, true));
  p.produce(idem(2, 0, 0));
  p.produce(idem(3, 0, 0));
  const pids = p.state.snapshot().producers.map((e) => e.producerId);
  assert.deepEqual(pids, [1, 3]);
});

test('partition state rebuilt by replaying the same headers is identical', () => {
  const p = new FakePartition();
  p.produce({});
  p.produce(idem(1, 0, 0, 3, true));
  p.produce(idem(2, 0, 0, 2));
  p.produce(idem(4, 0, 0, 1, true));
  p.endTxn(1, 0, false);
  p.produce(idem(2, 0, 2, 2));
  p.produce(idem(1, 0, 3, 1, true));
  p.endTxn(4, 1, true);
  const replayed = PartitionStateImpl.rebuild(p.stored, { isIssued: (pid) => pid < 100 });
  assert.deepEqual(replayed.snapshot(), p.state.snapshot());
  assert.equal(replayed.lastStableOffset(p.leo), p.state.lastStableOffset(p.leo));
  const again = PartitionStateImpl.rebuild(p.stored, { isIssued: (pid) => pid < 100 });
  assert.deepEqual(again.snapshot(), replayed.snapshot());
});

test('partition state never stores a duplicate or a gap under random retries and reordering', () => {
  for (let seed = 1; seed <= 200; seed += 1) {
    const rand = prng(seed);
    const p = new FakePartition();
    // The producer's batches: consecutive sequence ranges of random sizes.
    const batches: Array<{ seq: number; count: number; offset?: number }> = [];
    let seq = 0;
    for (let i = 0; i < 40; i += 1) {
      const count = 1 + Math.floor(rand() * 4);
      batches.push({ seq, count });
      seq += count;
    }
    let sent = 0;
    for (let step = 0; step < 400; step += 1) {
      const roll = rand();
      // Mostly the next batch; sometimes a retry of one of up to five in flight; sometimes a jump ahead.
      let index: number;
      if (roll < 0.5) index = sent;
      else if (roll < 0.85) index = Math.max(0, sent - 1 - Math.floor(rand() * 5));
      else index = sent + 1 + Math.floor(rand() * 3);
      const batch = batches[index];
      if (batch === undefined) continue;
      const result = p.produce(idem(7, 0, batch.seq, batch.count));
      if (result.kind === 'append') {
        assert.equal(index, sent, `seed ${seed}: appended batch ${index} while ${sent} was due`);
        batch.offset = result.offset;
        sent += 1;
      } else if (result.kind === 'duplicate') {
        assert.ok(index < sent, `seed ${seed}: unsent batch ${index} reported as duplicate`);
        assert.equal(result.baseOffset, batch.offset, `seed ${seed}: duplicate answered with another offset`);
      } else {
        assert.equal(result.code, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
        assert.ok(index > sent || index < sent - 5, `seed ${seed}: batch ${index} rejected though ${sent} was due`);
      }
    }
    // The stored sequences are exactly 0..n-1, each once.
    const seqs = p.stored.flatMap((h) => Array.from({ length: h.recordCount }, (_, k) => h.baseSequence + k));
    assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, k) => k), `seed ${seed}`);
  }
});

test('partition state rebuilt from a log reads each marker type back from its control record', () => {
  const p = new FakePartition();
  p.produce(idem(1, 0, 0, 2, true));
  p.produce(idem(2, 0, 0, 1, true));
  p.endTxn(1, 0, false);
  p.endTxn(2, 0, true);
  p.produce(idem(1, 0, 2, 1, true));
  // Stored headers carry no controlType; the bytes of each marker tell it.
  const markerBytes = new Map<number, Buffer>();
  for (const h of p.stored) {
    if (h.isControl) markerBytes.set(h.baseOffset, buildControlBatch({ producerId: h.producerId, producerEpoch: h.producerEpoch, commit: h.controlType === 'commit', timestampMs: 0 }));
  }
  const log = {
    logStartOffset: () => 0,
    headers: () => p.stored.map((h) => ({ ...h, controlType: undefined })),
    read: (offset: number) => ({ bytes: markerBytes.get(offset) ?? Buffer.alloc(0), lastOffset: offset }),
  } as unknown as PartitionLog;
  const rebuilt = PartitionStateImpl.rebuildFromLog(log, { isIssued: (pid) => pid < 100 });
  assert.deepEqual(rebuilt.snapshot(), p.state.snapshot());
  assert.deepEqual(rebuilt.abortedRanges(0, 10), [{ producerId: 1, firstOffset: 0, lastOffset: 3 }]);
});

test('partition state keeps each producer gap-free when several producers retry and interleave', () => {
  for (let seed = 1; seed <= 100; seed += 1) {
    const rand = prng(seed);
    const p = new FakePartition();
    const producers = [11, 12, 13].map((pid) => ({ pid, sent: 0, batches: Array.from({ length: 30 }, (_, i) => ({ seq: i * 2, count: 2, offset: -1 })) }));
    for (let step = 0; step < 600; step += 1) {
      const producer = producers[Math.floor(rand() * producers.length)];
      if (producer === undefined) continue;
      const back = rand() < 0.4 ? 1 + Math.floor(rand() * 6) : 0;
      const index = Math.max(0, producer.sent - back);
      const batch = producer.batches[index];
      if (batch === undefined) continue;
      const result = p.produce(idem(producer.pid, 0, batch.seq, batch.count));
      if (result.kind === 'append') {
        assert.equal(index, producer.sent, `seed ${seed}`);
        batch.offset = result.offset ?? -1;
        producer.sent += 1;
      } else if (result.kind === 'duplicate') {
        assert.equal(result.baseOffset, batch.offset, `seed ${seed}`);
      } else {
        assert.ok(index < producer.sent - 5, `seed ${seed}: only batches older than the cache are refused`);
      }
    }
    for (const producer of producers) {
      const seqs = p.stored.filter((h) => h.producerId === producer.pid).map((h) => h.baseSequence);
      assert.deepEqual(seqs, Array.from({ length: producer.sent }, (_, i) => i * 2), `seed ${seed}`);
    }
  }
});
