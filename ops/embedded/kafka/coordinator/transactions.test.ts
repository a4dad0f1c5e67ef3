import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../contracts.ts';
import type { MarkerWriter } from '../contracts.ts';
import { TransactionCoordinator } from './transactions.ts';
import path from 'node:path';
import { TRANSACTIONS_JOURNAL_FILE, TxnJournal } from './txn-journal.ts';
import { loadJournal } from './durable.ts';
import { PRODUCER_EPOCH_MAX } from './limits.ts';
import { FakeClock, tempDir } from './test-support.ts';
import type { PartitionOffset, TopicPartition, TxnOffsetSink } from './types.ts';
import { GroupCoordinator } from './groups.ts';

interface Marker {
  topic: string;
  partition: number;
  producerId: number;
  epoch: number;
  commit: boolean;
}

class FakeMarkers implements MarkerWriter {
  readonly written: Marker[] = [];
  failAfter = Infinity;
  writeMarker(topic: string, partition: number, producerId: number, epoch: number, commit: boolean): number {
    if (this.written.length >= this.failAfter) throw new Error('disk full');
    this.written.push({ topic, partition, producerId, epoch, commit });
    return this.written.length - 1;
  }
}

class FakeOffsets implements TxnOffsetSink {
  readonly pending = new Map<string, PartitionOffset[]>();
  readonly committed: Array<{ groupId: string } & PartitionOffset> = [];
  stageTxnOffsets(groupId: string, producerId: number, offsets: readonly PartitionOffset[]): number {
    const key = `${groupId}/${producerId}`;
    this.pending.set(key, [...(this.pending.get(key) ?? []), ...offsets]);
    return 0;
  }
  completeTxnOffsets(groupId: string, producerId: number, commit: boolean): void {
    const key = `${groupId}/${producerId}`;
    if (commit) for (const o of this.pending.get(key) ?? []) this.committed.push({ groupId, ...o });
    this.pending.delete(key);
  }
}

function setup(t: { after(fn: () => void): void }, dir = tempDir(t)) {
  const clock = new FakeClock();
  const markers = new FakeMarkers();
  const offsets = new FakeOffsets();
  const lsoChanges: TopicPartition[][] = [];
  let nextPid = 0;
  const topics = new Set(['a', 'b']);
  const open = () =>
    TransactionCoordinator.open({
      dataDir: dir,
      clock,
      producerIds: { allocate: () => nextPid++ },
      markers,
      offsets,
      partitionExists: (topic, partition) => topics.has(topic) && partition >= 0 && partition < 3,
      onLsoChange: (tps) => lsoChanges.push(tps),
    });
  const tc = open();
  t.after(() => tc.close());
  return { dir, clock, markers, offsets, lsoChanges, topics, tc, open };
}

const tp = (topic: string, ...partitions: number[]) => ({ topic, partitions });
const codes = (results: Array<{ partitions: Array<{ errorCode: number }> }>) => results.flatMap((r) => r.partitions.map((p) => p.errorCode));

test('transactions give idempotent producers a fresh id at epoch 0 whatever the timeout', (t) => {
  const { tc } = setup(t);
  assert.deepEqual(tc.initProducerId(null, -1), { errorCode: 0, producerId: 0, producerEpoch: 0 });
  assert.deepEqual(tc.initProducerId(null, 60000), { errorCode: 0, producerId: 1, producerEpoch: 0 });
});

test('transactions reject timeouts above 900000 or not positive with 50, and an empty id with 42', (t) => {
  const { tc } = setup(t);
  assert.equal(tc.initProducerId('tx', 900_001).errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT);
  assert.equal(tc.initProducerId('tx', 0).errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT);
  assert.equal(tc.initProducerId('tx', 900_000).errorCode, ErrorCode.NONE);
  assert.equal(tc.initProducerId('', 1000).errorCode, ErrorCode.INVALID_REQUEST);
});

test('transactions keep the producer id of a transactional id and bump its epoch on re-init', (t) => {
  const { tc } = setup(t);
  const first = tc.initProducerId('tx', 60000);
  assert.deepEqual(first, { errorCode: 0, producerId: 0, producerEpoch: 0 });
  assert.deepEqual(tc.initProducerId('tx', 60000), { errorCode: 0, producerId: 0, producerEpoch: 1 });
  assert.deepEqual(tc.initProducerId('other', 60000), { errorCode: 0, producerId: 1, producerEpoch: 0 });
});

test('transactions commit: markers on every partition, offsets published, retry answered 0', (t) => {
  const { tc, markers, offsets, lsoChanges } = setup(t);
  const { producerId: pid } = tc.initProducerId('tx', 60000);
  assert.deepEqual(codes(tc.addPartitions('tx', pid, 0, [tp('a', 0, 1), tp('b', 2)])), [0, 0, 0]);
  assert.equal(tc.describe('tx')?.state, 'Ongoing');
  assert.equal(tc.addOffsets('tx', pid, 0, 'g'), ErrorCode.NONE);
  assert.equal(tc.txnOffsetCommit('tx', 'g', pid, 0, [{ topic: 'in', partition: 0, offset: 42, metadata: null }]), ErrorCode.NONE);
  assert.equal(offsets.committed.length, 0);
  assert.equal(tc.endTxn('tx', pid, 0, true), ErrorCode.NONE);
  assert.deepEqual(
    markers.written.map((m) => [m.topic, m.partition, m.producerId, m.epoch, m.commit]),
    [
      ['a', 0, pid, 0, true],
      ['a', 1, pid, 0, true],
      ['b', 2, pid, 0, true],
    ],
  );
  assert.deepEqual(offsets.committed, [{ groupId: 'g', topic: 'in', partition: 0, offset: 42, metadata: null }]);
  assert.equal(tc.describe('tx')?.state, 'CompleteCommit');
  assert.deepEqual(lsoChanges, [[{ topic: 'a', partition: 0 }, { topic: 'a', partition: 1 }, { topic: 'b', partition: 2 }]]);
  assert.equal(tc.endTxn('tx', pid, 0, true), ErrorCode.NONE);
  assert.equal(tc.endTxn('tx', pid, 0, false), ErrorCode.INVALID_TXN_STATE);
  assert.equal(markers.written.length, 3);
});

test('transactions abort: ABORT markers and staged offsets dropped', (t) => {
  const { tc, markers, offsets } = setup(t);
  const { producerId: pid } = tc.initProducerId('tx', 60000);
  tc.addPartitions('tx', pid, 0, [tp('a', 0)]);
  tc.addOffsets('tx', pid, 0, 'g');
  tc.txnOffsetCommit('tx', 'g', pid, 0, [{ topic: 'in', partition: 0, offset: 7, metadata: '' }]);
  assert.equal(tc.endTxn('tx', pid, 0, false), ErrorCode.NONE);
  assert.deepEqual(markers.written, [{ topic: 'a', partition: 0, producerId: pid, epoch: 0, commit: false }]);
  assert.equal(offsets.committed.length, 0);
  assert.equal(offsets.pending.size, 0);
  assert.equal(tc.endTxn('tx', pid, 0, false), ErrorCode.NONE);
  assert.equal(tc.endTxn('tx', pid, 0, true), ErrorCode.INVALID_TXN_STATE);
  // The next transaction starts afresh with the same epoch.
  tc.addPartitions('tx', pid, 0, [tp('b', 1)]);
  assert.equal(tc.endTxn('tx', pid, 0, true), ErrorCode.NONE);
  assert.deepEqual(markers.written.at(-1), { topic: 'b', partition: 1, producerId: pid, epoch: 0, commit: true });
});

test('transactions answer 48 for EndTxn with nothing started and for offsets of a group not added', (t) => {
  const { tc } = setup(t);
  const { producerId: pid } = tc.initProducerId('tx', 60000);
  assert.equal(tc.endTxn('tx', pid, 0, true), ErrorCode.INVALID_TXN_STATE);
  assert.equal(tc.txnOffsetCommit('tx', 'g', pid, 0, []), ErrorCode.INVALID_TXN_STATE);
  tc.addOffsets('tx', pid, 0, 'g');
  assert.equal(tc.txnOffsetCommit('tx', 'h', pid, 0, []), ErrorCode.INVALID_TXN_STATE);
  assert.equal(tc.addOffsets('tx', pid, 0, ''), ErrorCode.INVALID_GROUP_ID);
});

test('transactions answer 49 for an unknown id or producer id and 47 for another epoch', (t) => {
  const { tc } = setup(t);
  const { producerId: pid } = tc.initProducerId('tx', 60000);
  assert.deepEqual(codes(tc.addPartitions('nope', pid, 0, [tp('a', 0)])), [ErrorCode.INVALID_PRODUCER_ID_MAPPING]);
  assert.deepEqual(codes(tc.addPartitions('tx', pid + 5, 0, [tp('a', 0)])), [ErrorCode.INVALID_PRODUCER_ID_MAPPING]);
  assert.deepEqual(codes(tc.addPartitions('tx', pid, 3, [tp('a', 0)])), [ErrorCode.INVALID_PRODUCER_EPOCH]);
  assert.equal(tc.addOffsets('nope', pid, 0, 'g'), ErrorCode.INVALID_PRODUCER_ID_MAPPING);
  assert.equal(tc.endTxn('tx', pid, 1, true), ErrorCode.INVALID_PRODUCER_EPOCH);
  assert.equal(tc.txnOffsetCommit('tx', 'g', pid, 1, []), ErrorCode.INVALID_PRODUCER_EPOCH);
});

test('transactions answer 3 for unknown partitions and 55 for the rest, adding nothing', (t) => {
  const { tc } = setup(t);
  const { producerId: pid } = tc.initProducerId('tx', 60000);
  assert.deepEqual(codes(tc.addPartitions('tx', pid, 0, [tp('a', 0, 7), tp('zz', 0)])), [55, 3, 3]);
  assert.equal(tc.describe('tx')?.state, 'Empty');
  assert.deepEqual(tc.describe('tx')?.partitions, []);
});

test('transactions fence the old producer when a second one initialises the same id', (t) => {
  const { tc, markers, offsets } = setup(t);
  const old = tc.initProducerId('tx', 60000);
  tc.addPartitions('tx', old.producerId, 0, [tp('a', 0), tp('a', 1)]);
  tc.addOffsets('tx', old.producerId, 0, 'g');
  tc.txnOffsetCommit('tx', 'g', old.producerId, 0, [{ topic: 'in', partition: 0, offset: 3, metadata: null }]);
  const next = tc.initProducerId('tx', 60000);
  assert.deepEqual(next, { errorCode: 0, producerId: old.producerId, producerEpoch: 1 });
  // The open transaction was aborted at once with the new epoch, which fences the old one everywhere.
  assert.deepEqual(
    markers.written.map((m) => [m.partition, m.epoch, m.commit]),
    [
      [0, 1, false],
      [1, 1, false],
    ],
  );
  assert.equal(offsets.pending.size, 0);
  assert.equal(offsets.committed.length, 0);
  assert.equal(tc.endTxn('tx', old.producerId, 0, true), ErrorCode.INVALID_PRODUCER_EPOCH);
  assert.deepEqual(codes(tc.addPartitions('tx', old.producerId, 0, [tp('a', 0)])), [ErrorCode.INVALID_PRODUCER_EPOCH]);
  assert.equal(tc.describe('tx')?.state, 'Empty');
  assert.deepEqual(codes(tc.addPartitions('tx', next.producerId, 1, [tp('a', 0)])), [0]);
});

test('transactions abort a timed-out transaction from tick and bump its epoch', (t) => {
  const { tc, clock, markers, lsoChanges } = setup(t);
  const { producerId: pid } = tc.initProducerId('tx', 2000);
  tc.addPartitions('tx', pid, 0, [tp('a', 2)]);
  assert.deepEqual(tc.tick(clock.advance(2000)), []);
  assert.equal(markers.written.length, 0);
  assert.deepEqual(tc.tick(clock.advance(1)), [{ topic: 'a', partition: 2 }]);
  assert.deepEqual(markers.written, [{ topic: 'a', partition: 2, producerId: pid, epoch: 1, commit: false }]);
  assert.equal(lsoChanges.length, 1);
  assert.equal(tc.describe('tx')?.state, 'CompleteAbort');
  assert.equal(tc.endTxn('tx', pid, 0, true), ErrorCode.INVALID_PRODUCER_EPOCH);
  // The timer restarts with each transaction.
  tc.addPartitions('tx', pid, 1, [tp('a', 0)]);
  assert.deepEqual(tc.tick(clock.advance(1999)), []);
  assert.equal(tc.endTxn('tx', pid, 1, true), ErrorCode.NONE);
});

test('transactions issue a new producer id when the epoch would overflow', (t) => {
  const dir = tempDir(t);
  const { journal } = TxnJournal.open(dir);
  const base = { txnId: 'tx', producerId: 50, timeoutMs: 60000, partitions: [] as Array<[string, number]>, groups: [], startMs: 0, updatedMs: 0 };
  journal.save({ ...base, epoch: PRODUCER_EPOCH_MAX, state: 'CompleteCommit' }, () => []);
  journal.save({ ...base, txnId: 'open', producerId: 60, epoch: PRODUCER_EPOCH_MAX, state: 'Ongoing', partitions: [['a', 0]] }, () => []);
  journal.close();
  const { tc, markers } = setup(t, dir);
  assert.deepEqual(tc.initProducerId('tx', 60000), { errorCode: 0, producerId: 0, producerEpoch: 0 });
  assert.deepEqual(tc.initProducerId('open', 60000), { errorCode: 0, producerId: 1, producerEpoch: 0 });
  // The open transaction was closed under its own producer id and epoch.
  assert.deepEqual(markers.written, [{ topic: 'a', partition: 0, producerId: 60, epoch: PRODUCER_EPOCH_MAX, commit: false }]);
});

test('transactions survive a restart with their ids, epochs and open transactions', (t) => {
  const { tc, open, markers } = setup(t);
  const { producerId: pid } = tc.initProducerId('tx', 60000);
  tc.initProducerId('tx', 60000);
  tc.addPartitions('tx', pid, 1, [tp('a', 0)]);
  tc.addOffsets('tx', pid, 1, 'g');
  const before = tc.describe('tx');
  tc.close();
  const again = open();
  t.after(() => again.close());
  assert.deepEqual(again.describe('tx'), before);
  assert.deepEqual(again.recoverOnStart(), []);
  assert.equal(again.endTxn('tx', pid, 1, true), ErrorCode.NONE);
  assert.deepEqual(markers.written, [{ topic: 'a', partition: 0, producerId: pid, epoch: 1, commit: true }]);
});

test('transactions finish a prepared commit on restart when a crash interrupted its markers', (t) => {
  const { tc, open, markers, offsets } = setup(t);
  const { producerId: pid } = tc.initProducerId('tx', 60000);
  tc.addPartitions('tx', pid, 0, [tp('a', 0), tp('a', 1), tp('b', 0)]);
  tc.addOffsets('tx', pid, 0, 'g');
  tc.txnOffsetCommit('tx', 'g', pid, 0, [{ topic: 'in', partition: 1, offset: 9, metadata: 'm' }]);
  markers.failAfter = 1;
  assert.throws(() => tc.endTxn('tx', pid, 0, true), /disk full/);
  assert.equal(tc.describe('tx')?.state, 'PrepareCommit');
  // While prepared, other calls wait.
  assert.equal(tc.endTxn('tx', pid, 0, true), ErrorCode.CONCURRENT_TRANSACTIONS);
  assert.deepEqual(codes(tc.addPartitions('tx', pid, 0, [tp('a', 0)])), [ErrorCode.CONCURRENT_TRANSACTIONS]);
  assert.equal(tc.initProducerId('tx', 60000).errorCode, ErrorCode.CONCURRENT_TRANSACTIONS);
  tc.close();
  markers.failAfter = Infinity;
  const again = open();
  t.after(() => again.close());
  assert.equal(again.describe('tx')?.state, 'PrepareCommit');
  assert.equal(again.recoverOnStart().length, 3);
  assert.equal(again.describe('tx')?.state, 'CompleteCommit');
  assert.deepEqual(
    markers.written.map((m) => [m.topic, m.partition, m.commit]),
    [
      ['a', 0, true],
      ['a', 0, true],
      ['a', 1, true],
      ['b', 0, true],
    ],
  );
  assert.deepEqual(offsets.committed, [{ groupId: 'g', topic: 'in', partition: 1, offset: 9, metadata: 'm' }]);
  assert.equal(again.endTxn('tx', pid, 0, true), ErrorCode.NONE);
});

test('transactions retry a prepared completion from tick after a failed marker write', (t) => {
  const { tc, clock, markers } = setup(t);
  const { producerId: pid } = tc.initProducerId('tx', 60000);
  tc.addPartitions('tx', pid, 0, [tp('a', 0)]);
  markers.failAfter = 0;
  assert.throws(() => tc.endTxn('tx', pid, 0, false), /disk full/);
  markers.failAfter = Infinity;
  assert.deepEqual(tc.tick(clock.advance(100)), [{ topic: 'a', partition: 0 }]);
  assert.equal(tc.describe('tx')?.state, 'CompleteAbort');
});

test('transactions skip markers for a deleted topic', (t) => {
  const { tc, markers, topics } = setup(t);
  const { producerId: pid } = tc.initProducerId('tx', 60000);
  tc.addPartitions('tx', pid, 0, [tp('a', 0), tp('b', 0)]);
  topics.delete('b');
  tc.deleteTopic('b');
  assert.deepEqual(tc.describe('tx')?.partitions, [['a', 0]]);
  assert.equal(tc.endTxn('tx', pid, 0, true), ErrorCode.NONE);
  assert.deepEqual(markers.written.map((m) => m.topic), ['a']);
});

test('transactions journal is compacted on restart to one line per transactional id', (t) => {
  const { tc, open, dir } = setup(t);
  for (let i = 0; i < 20; i += 1) tc.initProducerId('tx', 60000);
  tc.close();
  const again = open();
  t.after(() => again.close());
  assert.equal(again.describe('tx')?.epoch, 19);
  assert.equal(loadJournal(path.join(dir, TRANSACTIONS_JOURNAL_FILE)).length, 1);
});

test('transactions check a transactional produce against the id, epoch, state and partitions', (t) => {
  const { tc } = setup(t);
  const { producerId: pid } = tc.initProducerId('tx', 60000);
  assert.equal(tc.checkProduce('tx', pid, 0, 'a', 0), ErrorCode.INVALID_TXN_STATE);
  tc.addPartitions('tx', pid, 0, [tp('a', 0)]);
  assert.equal(tc.checkProduce('tx', pid, 0, 'a', 0), ErrorCode.NONE);
  assert.equal(tc.checkProduce('tx', pid, 0, 'a', 1), ErrorCode.INVALID_TXN_STATE);
  assert.equal(tc.checkProduce('tx', pid, 1, 'a', 0), ErrorCode.INVALID_PRODUCER_EPOCH);
  assert.equal(tc.checkProduce('tx', pid + 1, 0, 'a', 0), ErrorCode.INVALID_PRODUCER_ID_MAPPING);
  assert.equal(tc.checkProduce(null, pid, 0, 'a', 0), ErrorCode.INVALID_PRODUCER_ID_MAPPING);
  tc.initProducerId('tx', 60000);
  assert.equal(tc.checkProduce('tx', pid, 0, 'a', 0), ErrorCode.INVALID_PRODUCER_EPOCH);
});

test('transactions and groups restarted over the same directory finish a prepared commit with its offsets', (t) => {
  const dir = tempDir(t);
  const clock = new FakeClock();
  const markers = new FakeMarkers();
  let nextPid = 0;
  const open = () => {
    const groups = GroupCoordinator.open({ dataDir: dir, clock, initialRebalanceDelayMs: 0 });
    const txns = TransactionCoordinator.open({
      dataDir: dir,
      clock,
      producerIds: { allocate: () => nextPid++ },
      markers,
      offsets: groups,
      partitionExists: () => true,
    });
    return { groups, txns, close: () => (txns.close(), groups.close()) };
  };
  const first = open();
  const committed = () => first.groups.fetchOffsets('g', [{ name: 'in', partitionIndexes: [0] }]).topics[0]?.partitions[0]?.committedOffset;
  const { producerId: pid } = first.txns.initProducerId('tx', 60000);
  first.txns.addPartitions('tx', pid, 0, [tp('out', 0), tp('out', 1)]);
  first.txns.addOffsets('tx', pid, 0, 'g');
  assert.equal(first.txns.txnOffsetCommit('tx', 'g', pid, 0, [{ topic: 'in', partition: 0, offset: 100, metadata: null }]), 0);
  assert.equal(committed(), -1, 'staged offsets are invisible');
  markers.failAfter = 1; // the broker dies after the first marker
  assert.throws(() => first.txns.endTxn('tx', pid, 0, true), /disk full/);
  assert.equal(committed(), -1);
  first.close();

  markers.failAfter = Infinity;
  const second = open();
  t.after(() => second.close());
  const read = () => second.groups.fetchOffsets('g', [{ name: 'in', partitionIndexes: [0] }]).topics[0]?.partitions[0]?.committedOffset;
  assert.equal(read(), -1, 'still staged after the restart');
  assert.equal(second.txns.describe('tx')?.state, 'PrepareCommit');
  assert.deepEqual(second.txns.recoverOnStart(), [{ topic: 'out', partition: 0 }, { topic: 'out', partition: 1 }]);
  assert.equal(read(), 100);
  assert.equal(second.txns.describe('tx')?.state, 'CompleteCommit');
  assert.deepEqual(markers.written.map((m) => [m.partition, m.commit]), [[0, true], [0, true], [1, true]]);
  second.close();
  const third = open();
  t.after(() => third.close());
  assert.equal(third.groups.fetchOffsets('g', null).topics[0]?.partitions[0]?.committedOffset, 100);
  assert.equal(third.txns.describe('tx')?.state, 'CompleteCommit');
  assert.deepEqual(third.txns.recoverOnStart(), []);
});
