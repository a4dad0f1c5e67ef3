/**
 * Conformance scenarios 6, 7 and 8 of the broker spec (§10, idempotence rules in §4): kafkajs's
 * idempotent producer, and raw batches with chosen producer ids, epochs and sequences that no
 * client library would send on purpose.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeBatch as encodeBrokerBatch } from '../../ops/embedded/kafka/log/records.ts';
import { decodeBatches, encodeBatch, type RawRecord } from '../helpers/raw-wire.ts';
import { RawConnection, addPartitionsToTxn, fetch, findCoordinator, initProducerId, listOffset, metadata, produce } from '../helpers/raw-client.ts';
import type { TestOwner } from '../helpers/wait.ts';
import { Scope, connectedProducer, consumeCount, newKafka, startTestBroker, uniqueName } from '../helpers/kafkajs.ts';

function records(prefix: string, count: number): RawRecord[] {
  return Array.from({ length: count }, (_, i) => ({ key: Buffer.from(`${prefix}-k${i}`), value: Buffer.from(`${prefix}-v${i}`) }));
}

async function rawSetup(t: TestOwner): Promise<{ scope: Scope; conn: RawConnection; topic: string; bootstrap: string }> {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope);
  const conn = await RawConnection.fromBootstrap(bootstrap);
  scope.defer('close raw connection', () => conn.close());
  const topic = uniqueName('idem');
  const meta = await metadata(conn, [topic], true);
  assert.equal(meta.topics[0]?.errorCode, 0, 'topic auto-created');
  return { scope, conn, topic, bootstrap };
}

test('an idempotent kafkajs producer gets its sequences accepted and every record is stored once (scenario 6)', async (t) => {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope);
  const kafka = newKafka(bootstrap);
  const topic = uniqueName('idem-kjs');
  const producer = await connectedProducer(scope, kafka, { idempotent: true, maxInFlightRequests: 1 });
  const sent: string[] = [];
  for (let batch = 0; batch < 10; batch += 1) {
    const messages = Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: `b${batch}-m${i}` }));
    const meta = await producer.send({ topic, acks: -1, messages });
    assert.equal(meta[0]?.errorCode, 0);
    assert.equal(meta[0]?.baseOffset, String(batch * 5));
    sent.push(...messages.map((m) => m.value));
  }
  const got = await consumeCount(scope, kafka, topic, sent.length);
  assert.deepEqual(got.map((m) => m.value), sent);
  assert.deepEqual(got.map((m) => m.offset), sent.map((_, i) => i));
});

test('InitProducerId without a transactional id is answered by node 0 with a fresh producer id at epoch 0 (scenario 6)', async (t) => {
  const { conn } = await rawSetup(t);
  const first = await initProducerId(conn, null, 60_000);
  const second = await initProducerId(conn, null, 60_000);
  assert.equal(first.errorCode, 0);
  assert.equal(first.producerEpoch, 0);
  assert.ok(first.producerId >= 0);
  assert.equal(second.errorCode, 0);
  assert.notEqual(second.producerId, first.producerId, 'each null-txn InitProducerId issues a new producer id');
  const coordinator = await findCoordinator(conn, uniqueName('txn'), 1);
  assert.equal(coordinator.errorCode, 0);
  assert.equal(coordinator.nodeId, 0, 'the transaction coordinator is node 0');
});

test('replaying an identical idempotent batch returns error 0 with the original base offset and leaves the log unchanged (scenario 7)', async (t) => {
  const { conn, topic } = await rawSetup(t);
  const { producerId, producerEpoch } = await initProducerId(conn, null, 60_000);
  const first = encodeBatch({ producerId, producerEpoch, baseSequence: 0, records: records('a', 3) });
  const second = encodeBatch({ producerId, producerEpoch, baseSequence: 3, records: records('b', 2) });

  assert.deepEqual(await produce(conn, topic, 0, first), { errorCode: 0, baseOffset: 0 });
  assert.deepEqual(await produce(conn, topic, 0, first), { errorCode: 0, baseOffset: 0 }, 'replay of the last batch');
  assert.deepEqual(await listOffset(conn, topic, 0, -1), { errorCode: 0, offset: 3 }, 'log end unchanged by the replay');

  assert.deepEqual(await produce(conn, topic, 0, second), { errorCode: 0, baseOffset: 3 });
  assert.deepEqual(await produce(conn, topic, 0, first), { errorCode: 0, baseOffset: 0 }, 'replay of an older cached batch');
  assert.deepEqual(await produce(conn, topic, 0, second), { errorCode: 0, baseOffset: 3 });
  assert.deepEqual(await listOffset(conn, topic, 0, -1), { errorCode: 0, offset: 5 });

  const fetched = await fetch(conn, topic, 0, 0);
  assert.equal(fetched.errorCode, 0);
  assert.equal(fetched.highWatermark, 5);
  const batches = decodeBatches(fetched.records);
  assert.deepEqual(
    batches.map((b) => ({ base: b.baseOffset, last: b.lastOffset, pid: b.producerId, seq: b.baseSequence, crcValid: b.crcValid })),
    [
      { base: 0, last: 2, pid: producerId, seq: 0, crcValid: true },
      { base: 3, last: 4, pid: producerId, seq: 3, crcValid: true },
    ],
  );
  assert.deepEqual(
    batches.flatMap((b) => b.records.map((r) => r.value?.toString())),
    ['a-v0', 'a-v1', 'a-v2', 'b-v0', 'b-v1'],
  );
});

test('a batch built with the broker\'s own record-batch encoder replays the same way, and matches the test encoder byte for byte (scenario 7)', async (t) => {
  const { conn, topic } = await rawSetup(t);
  const { producerId, producerEpoch } = await initProducerId(conn, null, 60_000);
  const baseTimestamp = Date.now();
  const recs = records('own', 2);
  const own = encodeBrokerBatch(recs, { producerId, producerEpoch, baseSequence: 0, baseTimestamp });
  const independent = encodeBatch({ producerId, producerEpoch, baseSequence: 0, baseTimestamp, records: recs });
  // Bytes 12..16 are the partition leader epoch, which the broker may overwrite; everything else must agree.
  assert.deepEqual(own.subarray(16), independent.subarray(16));
  assert.deepEqual(own.subarray(0, 12), independent.subarray(0, 12));
  assert.deepEqual(await produce(conn, topic, 0, own), { errorCode: 0, baseOffset: 0 });
  assert.deepEqual(await produce(conn, topic, 0, own), { errorCode: 0, baseOffset: 0 }, 'replay');
  assert.deepEqual(await produce(conn, topic, 0, independent), { errorCode: 0, baseOffset: 0 }, 'the same batch from the other encoder is the same replay');
  assert.deepEqual(await listOffset(conn, topic, 0, -1), { errorCode: 0, offset: 2 });
});

test('a sequence gap gets 45 and a first batch not at sequence 0 gets 45 (scenario 8)', async (t) => {
  const { conn, topic } = await rawSetup(t);
  const { producerId, producerEpoch } = await initProducerId(conn, null, 60_000);
  const notFromZero = encodeBatch({ producerId, producerEpoch, baseSequence: 5, records: records('z', 1) });
  assert.equal((await produce(conn, topic, 0, notFromZero)).errorCode, 45);

  assert.equal((await produce(conn, topic, 0, encodeBatch({ producerId, producerEpoch, baseSequence: 0, records: records('a', 2) }))).errorCode, 0);
  const gap = encodeBatch({ producerId, producerEpoch, baseSequence: 4, records: records('g', 1) });
  assert.equal((await produce(conn, topic, 0, gap)).errorCode, 45);
  const next = encodeBatch({ producerId, producerEpoch, baseSequence: 2, records: records('n', 1) });
  assert.deepEqual(await produce(conn, topic, 0, next), { errorCode: 0, baseOffset: 2 }, 'the expected sequence is still accepted');
  assert.deepEqual(await listOffset(conn, topic, 0, -1), { errorCode: 0, offset: 3 });
});

test('a producer id the broker never issued gets 59, or 49 when transactional (spec §4)', async (t) => {
  const { conn, topic } = await rawSetup(t);
  const unknownPid = 9_000_000;
  const plain = encodeBatch({ producerId: unknownPid, producerEpoch: 0, baseSequence: 0, records: records('u', 1) });
  assert.equal((await produce(conn, topic, 0, plain)).errorCode, 59);
  const txn = encodeBatch({ producerId: unknownPid, producerEpoch: 0, baseSequence: 0, transactional: true, records: records('u', 1) });
  assert.equal((await produce(conn, topic, 0, txn, { transactionalId: uniqueName('txn') })).errorCode, 49);
});

test('a batch from a stale producer epoch gets 47 after the transactional id was initialised again (scenario 8)', async (t) => {
  const { conn, topic } = await rawSetup(t);
  const txnId = uniqueName('txn');
  const old = await initProducerId(conn, txnId, 60_000);
  assert.equal(old.errorCode, 0);
  assert.equal(await addPartitionsToTxn(conn, txnId, old.producerId, old.producerEpoch, topic, 0), 0);
  const oldBatch = encodeBatch({ producerId: old.producerId, producerEpoch: old.producerEpoch, baseSequence: 0, transactional: true, records: records('old', 1) });
  assert.equal((await produce(conn, topic, 0, oldBatch, { transactionalId: txnId })).errorCode, 0);

  const bumped = await initProducerId(conn, txnId, 60_000);
  assert.equal(bumped.errorCode, 0);
  assert.equal(bumped.producerId, old.producerId);
  assert.equal(bumped.producerEpoch, old.producerEpoch + 1);

  const stale = encodeBatch({ producerId: old.producerId, producerEpoch: old.producerEpoch, baseSequence: 1, transactional: true, records: records('stale', 1) });
  assert.equal((await produce(conn, topic, 0, stale, { transactionalId: txnId })).errorCode, 47);
  assert.equal(await addPartitionsToTxn(conn, txnId, old.producerId, old.producerEpoch, topic, 0), 47, 'stale epoch on AddPartitionsToTxn');

  // The re-initialisation aborted the open transaction: read_committed sees nothing of it.
  const committed = await fetch(conn, topic, 0, 0, { isolation: 1 });
  assert.equal(committed.errorCode, 0);
  assert.equal(committed.lastStableOffset, 2, 'data at 0, ABORT marker at 1');
  assert.deepEqual(committed.aborted, [{ producerId: old.producerId, firstOffset: 0 }]);
  const batches = decodeBatches(committed.records);
  assert.deepEqual(batches.map((b) => ({ base: b.baseOffset, control: b.isControl, type: b.controlType })), [
    { base: 0, control: false, type: undefined },
    { base: 1, control: true, type: 0 },
  ]);
});
