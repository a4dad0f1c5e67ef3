/**
 * Conformance scenarios 9 to 15 of the broker spec (§10; transactions in §5 and §7) with a
 * kafkajs transactional producer, checked through kafkajs consumers in both isolation levels
 * and raw Fetch/ListOffsets, which show markers, the LSO and the aborted list exactly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Kafka } from 'kafkajs';
import { decodeBatches } from '../helpers/raw-wire.ts';
import { RawConnection, fetch, listOffset } from '../helpers/raw-client.ts';
import {
  Collector,
  Scope,
  connectedAdmin,
  connectedConsumer,
  connectedProducer,
  consumeCount,
  kafkaErrorTypes,
  newKafka,
  rejection,
  startTestBroker,
  uniqueName,
} from '../helpers/kafkajs.ts';
import { waitFor, type TestOwner } from '../helpers/wait.ts';

interface TxnSetup {
  scope: Scope;
  bootstrap: string;
  kafka: Kafka;
  conn: RawConnection;
  topic: string;
}

async function setup(t: TestOwner): Promise<TxnSetup> {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope);
  const kafka = newKafka(bootstrap);
  const topic = uniqueName('txn');
  const admin = await connectedAdmin(scope, kafka);
  assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] }), true);
  const conn = await RawConnection.fromBootstrap(bootstrap);
  scope.defer('close raw connection', () => conn.close());
  return { scope, bootstrap, kafka, conn, topic };
}

function transactionalProducer(s: TxnSetup, transactionalId: string, transactionTimeout?: number) {
  return connectedProducer(s.scope, s.kafka, {
    transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
    ...(transactionTimeout === undefined ? {} : { transactionTimeout }),
  });
}

test('a committed transaction is data plus a COMMIT marker, visible under read_committed, with HW = last + 2 (scenarios 9, 10)', async (t) => {
  const s = await setup(t);
  const producer = await transactionalProducer(s, uniqueName('tid'));
  const txn = await producer.transaction();
  await txn.send({ topic: s.topic, messages: [{ key: 'a', value: 'c0' }, { key: 'b', value: 'c1' }, { key: 'c', value: 'c2' }] });
  await txn.commit();

  const raw = await fetch(s.conn, s.topic, 0, 0, { isolation: 0 });
  assert.equal(raw.errorCode, 0);
  assert.equal(raw.highWatermark, 4, 'three records at 0..2, COMMIT marker at 3');
  assert.equal(raw.lastStableOffset, 4);
  assert.equal(raw.aborted, null, 'read_uncommitted gets a null aborted list');
  const batches = decodeBatches(raw.records);
  assert.deepEqual(
    batches.map((b) => ({ base: b.baseOffset, last: b.lastOffset, txn: b.isTransactional, control: b.isControl, type: b.controlType, crcValid: b.crcValid })),
    [
      { base: 0, last: 2, txn: true, control: false, type: undefined, crcValid: true },
      { base: 3, last: 3, txn: true, control: true, type: 1, crcValid: true },
    ],
  );
  const marker = batches[1];
  assert.ok(marker);
  assert.equal(marker.producerId, batches[0]?.producerId, 'marker carries the transaction producer id');
  assert.equal(marker.baseSequence, -1);
  assert.equal(marker.records[0]?.key?.length, 4, 'control key is i16 version + i16 type');
  assert.equal(marker.records[0]?.value?.length, 6, 'control value is i16 version + i32 coordinator epoch');

  const committed = await fetch(s.conn, s.topic, 0, 0, { isolation: 1 });
  assert.deepEqual(committed.aborted, []);
  const got = await consumeCount(s.scope, s.kafka, s.topic, 3);
  assert.deepEqual(got.map((m) => [m.offset, m.value]), [[0, 'c0'], [1, 'c1'], [2, 'c2']]);
});

test('an aborted transaction is hidden under read_committed, visible under read_uncommitted, and listed as aborted (scenario 11)', async (t) => {
  const s = await setup(t);
  const producer = await transactionalProducer(s, uniqueName('tid'));
  const txn = await producer.transaction();
  await txn.send({ topic: s.topic, messages: [{ value: 'aborted-0' }, { value: 'aborted-1' }] });
  await txn.abort();
  const plain = await connectedProducer(s.scope, s.kafka);
  await plain.send({ topic: s.topic, messages: [{ value: 'plain' }] });

  const committed = await fetch(s.conn, s.topic, 0, 0, { isolation: 1 });
  const batches = decodeBatches(committed.records);
  const pid = batches[0]?.producerId;
  assert.deepEqual(committed.aborted, [{ producerId: pid, firstOffset: 0 }]);
  assert.equal(committed.highWatermark, 4, 'data 0..1, ABORT marker at 2, plain at 3');
  assert.equal(committed.lastStableOffset, 4);
  assert.deepEqual(batches.map((b) => ({ base: b.baseOffset, control: b.isControl, type: b.controlType, crcValid: b.crcValid })), [
    { base: 0, control: false, type: undefined, crcValid: true },
    { base: 2, control: true, type: 0, crcValid: true },
    { base: 3, control: false, type: undefined, crcValid: true },
  ]);

  const readCommitted = await consumeCount(s.scope, s.kafka, s.topic, 1);
  assert.deepEqual(readCommitted.map((m) => [m.offset, m.value]), [[3, 'plain']]);
  const readUncommitted = await consumeCount(s.scope, s.kafka, s.topic, 3, { readUncommitted: true });
  assert.deepEqual(readUncommitted.map((m) => [m.offset, m.value]), [[0, 'aborted-0'], [1, 'aborted-1'], [3, 'plain']]);
});

test('an open transaction holds read_committed at the LSO until it commits, and the commit wakes a parked fetch (scenario 12)', async (t) => {
  const s = await setup(t);
  const producer = await transactionalProducer(s, uniqueName('tid'));
  const txn = await producer.transaction();
  await txn.send({ topic: s.topic, messages: [{ value: 'in-txn' }] });
  const plain = await connectedProducer(s.scope, s.kafka);
  await plain.send({ topic: s.topic, messages: [{ value: 'after-txn' }] });

  assert.deepEqual(await listOffset(s.conn, s.topic, 0, -1, 1), { errorCode: 0, offset: 0 }, 'latest under read_committed is the LSO');
  assert.deepEqual(await listOffset(s.conn, s.topic, 0, -1, 0), { errorCode: 0, offset: 2 }, 'latest under read_uncommitted is the HW');
  const held = await fetch(s.conn, s.topic, 0, 0, { isolation: 1 });
  assert.equal(held.lastStableOffset, 0);
  assert.equal(held.highWatermark, 2);
  assert.equal(decodeBatches(held.records).length, 0, 'nothing at or above the LSO is returned');

  const consumer = await connectedConsumer(s.scope, s.kafka, uniqueName('g'));
  const collector = new Collector();
  await consumer.subscribe({ topic: s.topic, fromBeginning: true });
  await consumer.run({ eachMessage: collector.eachMessage });

  const waiter = await RawConnection.fromBootstrap(s.bootstrap);
  s.scope.defer('close waiter connection', () => waiter.close());
  const startedMs = Date.now();
  const parked = fetch(waiter, s.topic, 0, 0, { isolation: 1, maxWaitMs: 8_000, timeoutMs: 15_000 });
  assert.equal(collector.messages.length, 0, 'the read_committed kafkajs consumer got nothing while the transaction was open');
  await txn.commit();
  const woken = await parked;
  const elapsedMs = Date.now() - startedMs;
  assert.ok(elapsedMs < 4_000, `commit woke the read_committed long poll (took ${elapsedMs} ms of an 8000 ms max wait)`);
  assert.equal(woken.lastStableOffset, 3, 'LSO moves past the COMMIT marker at offset 2');
  const data = decodeBatches(woken.records).filter((b) => !b.isControl);
  assert.deepEqual(data.flatMap((b) => b.records.map((r) => r.value?.toString())), ['in-txn', 'after-txn']);

  const got = await collector.waitForCount(2);
  assert.deepEqual(got.map((m) => [m.offset, m.value]), [[0, 'in-txn'], [1, 'after-txn']]);
});

test('consume, produce and sendOffsets in one transaction: output written once and the group offset visible only after commit (scenario 13)', async (t) => {
  const s = await setup(t);
  const output = uniqueName('txn-out');
  const groupId = uniqueName('eos');
  const admin = await connectedAdmin(s.scope, s.kafka);
  assert.equal(await admin.createTopics({ topics: [{ topic: output, numPartitions: 1 }] }), true);
  const plain = await connectedProducer(s.scope, s.kafka);
  await plain.send({ topic: s.topic, messages: [{ value: 'in-0' }, { value: 'in-1' }, { value: 'in-2' }] });

  // Consume the input in the group without committing, transform, and commit through the transaction.
  const consumer = await connectedConsumer(s.scope, s.kafka, groupId, { readUncommitted: false });
  const input = new Collector();
  await consumer.subscribe({ topic: s.topic, fromBeginning: true });
  await consumer.run({ autoCommit: false, eachMessage: input.eachMessage });
  const consumed = await input.waitForCount(3);
  await consumer.disconnect();

  const producer = await transactionalProducer(s, uniqueName('tid'));
  const txn = await producer.transaction();
  await txn.send({ topic: output, messages: consumed.map((m) => ({ value: `out-${m.value ?? ''}` })) });
  const nextOffset = String(Math.max(...consumed.map((m) => m.offset)) + 1);
  await txn.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: s.topic, partitions: [{ partition: 0, offset: nextOffset }] }] });

  const pending = await admin.fetchOffsets({ groupId, topics: [s.topic] });
  assert.equal(pending[0]?.partitions[0]?.offset, '-1', 'transactional offsets stay invisible before commit');
  await txn.commit();

  const visible = await admin.fetchOffsets({ groupId, topics: [s.topic] });
  assert.equal(visible[0]?.partitions[0]?.offset, '3', 'group offset = consumed + 1 after commit');
  const out = await consumeCount(s.scope, s.kafka, output, 3);
  assert.deepEqual(out.map((m) => m.value), ['out-in-0', 'out-in-1', 'out-in-2']);

  // The group resumes after the transactionally committed offset.
  await plain.send({ topic: s.topic, messages: [{ value: 'in-3' }] });
  const resumed = await connectedConsumer(s.scope, s.kafka, groupId);
  const after = new Collector();
  await resumed.subscribe({ topic: s.topic, fromBeginning: true });
  await resumed.run({ eachMessage: after.eachMessage });
  const next = await after.waitForCount(1);
  assert.deepEqual(next.map((m) => [m.offset, m.value]), [[3, 'in-3']]);
});

test('a second producer initialising the same transactional id fences the first with 47 (scenario 14)', async (t) => {
  const s = await setup(t);
  const transactionalId = uniqueName('tid');
  const first = await transactionalProducer(s, transactionalId);
  const firstTxn = await first.transaction();
  await firstTxn.send({ topic: s.topic, messages: [{ value: 'zombie' }] });

  const second = await transactionalProducer(s, transactionalId);
  const secondTxn = await second.transaction();

  const commitErr = await rejection(firstTxn.commit(), 'the fenced producer commit');
  assert.ok(kafkaErrorTypes(commitErr).includes('INVALID_PRODUCER_EPOCH'), `EndTxn from the old epoch fails with 47: ${kafkaErrorTypes(commitErr).join(',')}`);

  await secondTxn.send({ topic: s.topic, messages: [{ value: 'survivor' }] });
  await secondTxn.commit();

  const committed = await fetch(s.conn, s.topic, 0, 0, { isolation: 1 });
  const batches = decodeBatches(committed.records);
  assert.equal(committed.aborted?.length, 1, 'the zombie transaction was aborted when the second producer initialised');
  assert.deepEqual(batches.map((b) => ({ control: b.isControl, type: b.controlType, epoch: b.producerEpoch })), [
    { control: false, type: undefined, epoch: batches[0]?.producerEpoch },
    { control: true, type: 0, epoch: batches[1]?.producerEpoch },
    { control: false, type: undefined, epoch: batches[2]?.producerEpoch },
    { control: true, type: 1, epoch: batches[3]?.producerEpoch },
  ]);
  assert.ok((batches[2]?.producerEpoch ?? -1) > (batches[0]?.producerEpoch ?? -1), 'the survivor writes with a higher epoch');
  const got = await consumeCount(s.scope, s.kafka, s.topic, 1);
  assert.deepEqual(got.map((m) => m.value), ['survivor']);
});

test('a transaction idle past its timeout is aborted with markers and its producer then gets 47 (scenario 15)', async (t) => {
  const s = await setup(t);
  const producer = await transactionalProducer(s, uniqueName('tid'), 2_000);
  const txn = await producer.transaction();
  await txn.send({ topic: s.topic, messages: [{ value: 'expires' }] });
  assert.deepEqual(await listOffset(s.conn, s.topic, 0, -1, 1), { errorCode: 0, offset: 0 }, 'open transaction holds the LSO');

  // The timeout scan aborts it: an ABORT marker at 1 and the LSO moves to the HW.
  await waitFor(async () => (await listOffset(s.conn, s.topic, 0, -1, 1)).offset === 2, {
    timeoutMs: 10_000,
    message: 'the 2 s transaction timeout to abort the transaction (LSO = 2)',
  });
  const raw = await fetch(s.conn, s.topic, 0, 0, { isolation: 1 });
  const batches = decodeBatches(raw.records);
  assert.deepEqual(batches.map((b) => ({ base: b.baseOffset, control: b.isControl, type: b.controlType })), [
    { base: 0, control: false, type: undefined },
    { base: 1, control: true, type: 0 },
  ]);
  assert.deepEqual(raw.aborted, [{ producerId: batches[0]?.producerId, firstOffset: 0 }]);

  const err = await rejection(txn.commit(), 'commit after the timeout abort');
  assert.ok(kafkaErrorTypes(err).includes('INVALID_PRODUCER_EPOCH'), `commit after timeout fails with 47: ${kafkaErrorTypes(err).join(',')}`);
});
