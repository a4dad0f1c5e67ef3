/**
 * Transaction coordinator rules of the broker spec (§7) that kafkajs never exercises on purpose,
 * checked with raw requests: EndTxn retries, timeouts over the limit, unknown topics in
 * AddPartitionsToTxn, producer id and epoch validation, transactional offsets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBatches, encodeBatch } from '../helpers/raw-wire.ts';
import {
  RawConnection,
  addOffsetsToTxn,
  addPartitionsToTxn,
  addPartitionsToTxnMany,
  endTxn,
  fetch,
  initProducerId,
  metadata,
  offsetFetch,
  produce,
  txnOffsetCommit,
} from '../helpers/raw-client.ts';
import { Scope, startTestBroker, uniqueName } from '../helpers/kafkajs.ts';
import type { TestOwner } from '../helpers/wait.ts';

async function setup(t: TestOwner): Promise<{ conn: RawConnection; topic: string; txnId: string }> {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope);
  const conn = await RawConnection.fromBootstrap(bootstrap);
  scope.defer('close raw connection', () => conn.close());
  const topic = uniqueName('rtxn');
  assert.equal((await metadata(conn, [topic], true)).topics[0]?.errorCode, 0);
  return { conn, topic, txnId: uniqueName('tid') };
}

test('EndTxn retried with the same result gets 0 and writes no second marker, the opposite result gets 48 (spec §7)', async (t) => {
  const { conn, topic, txnId } = await setup(t);
  const { producerId, producerEpoch, errorCode } = await initProducerId(conn, txnId, 60_000);
  assert.equal(errorCode, 0);
  assert.equal(await addPartitionsToTxn(conn, txnId, producerId, producerEpoch, topic, 0), 0);
  const batch = encodeBatch({ producerId, producerEpoch, baseSequence: 0, transactional: true, records: [{ key: null, value: Buffer.from('t') }] });
  assert.deepEqual(await produce(conn, topic, 0, batch, { transactionalId: txnId }), { errorCode: 0, baseOffset: 0 });
  assert.equal(await endTxn(conn, txnId, producerId, producerEpoch, true), 0);
  assert.equal(await endTxn(conn, txnId, producerId, producerEpoch, true), 0, 'a retried commit');
  assert.equal(await endTxn(conn, txnId, producerId, producerEpoch, false), 48, 'abort after commit');
  const res = await fetch(conn, topic, 0, 0);
  assert.equal(res.highWatermark, 2, 'data at 0 and one COMMIT marker at 1');
  assert.deepEqual(decodeBatches(res.records).map((b) => [b.baseOffset, b.isControl, b.controlType]), [
    [0, false, undefined],
    [1, true, 1],
  ]);
});

test('InitProducerId with a transaction timeout over 15 minutes gets 50 (spec §7)', async (t) => {
  const { conn, txnId } = await setup(t);
  assert.equal((await initProducerId(conn, txnId, 900_001)).errorCode, 50);
  assert.equal((await initProducerId(conn, txnId, 900_000)).errorCode, 0);
});

test('AddPartitionsToTxn with an unknown topic gets 3 on it and 55 on the other partitions (spec §7)', async (t) => {
  const { conn, topic, txnId } = await setup(t);
  const { producerId, producerEpoch } = await initProducerId(conn, txnId, 60_000);
  const missing = uniqueName('missing');
  const res = await addPartitionsToTxnMany(conn, txnId, producerId, producerEpoch, [
    { topic, partition: 0 },
    { topic: missing, partition: 0 },
  ]);
  assert.deepEqual(Object.fromEntries(res), { [`${topic}:0`]: 55, [`${missing}:0`]: 3 });
});

test('transactional requests with an unknown transactional id or another producer id get 49, with an old epoch 47 (spec §7)', async (t) => {
  const { conn, topic, txnId } = await setup(t);
  const first = await initProducerId(conn, txnId, 60_000);
  assert.equal(await addPartitionsToTxn(conn, uniqueName('unknown-tid'), first.producerId, first.producerEpoch, topic, 0), 49);
  assert.equal(await addPartitionsToTxn(conn, txnId, first.producerId + 1_000, first.producerEpoch, topic, 0), 49);
  assert.equal(await endTxn(conn, uniqueName('unknown-tid'), first.producerId, first.producerEpoch, true), 49);
  const second = await initProducerId(conn, txnId, 60_000);
  assert.equal(second.producerEpoch, first.producerEpoch + 1);
  assert.equal(await addPartitionsToTxn(conn, txnId, first.producerId, first.producerEpoch, topic, 0), 47);
  assert.equal(await addOffsetsToTxn(conn, txnId, first.producerId, first.producerEpoch, uniqueName('g')), 47);
  assert.equal(await endTxn(conn, txnId, first.producerId, first.producerEpoch, true), 47);
});

test('transactional offsets stay invisible until EndTxn commits them, and an abort drops them (spec §7)', async (t) => {
  const { conn, topic, txnId } = await setup(t);
  const groupId = uniqueName('g');
  const { producerId, producerEpoch } = await initProducerId(conn, txnId, 60_000);
  const fetchOffset = async (): Promise<number | undefined> => (await offsetFetch(conn, groupId, [{ topic, partitions: [0] }])).offsets[0]?.offset;

  assert.equal(await addOffsetsToTxn(conn, txnId, producerId, producerEpoch, groupId), 0);
  assert.deepEqual(Object.fromEntries(await txnOffsetCommit(conn, txnId, groupId, producerId, producerEpoch, [{ topic, partition: 0, offset: 7 }])), { [`${topic}:0`]: 0 });
  assert.equal(await fetchOffset(), -1, 'pending until commit');
  assert.equal(await endTxn(conn, txnId, producerId, producerEpoch, true), 0);
  assert.equal(await fetchOffset(), 7, 'published by the commit');

  assert.equal(await addOffsetsToTxn(conn, txnId, producerId, producerEpoch, groupId), 0);
  assert.deepEqual(Object.fromEntries(await txnOffsetCommit(conn, txnId, groupId, producerId, producerEpoch, [{ topic, partition: 0, offset: 9 }])), { [`${topic}:0`]: 0 });
  assert.equal(await endTxn(conn, txnId, producerId, producerEpoch, false), 0);
  assert.equal(await fetchOffset(), 7, 'dropped by the abort');
});
