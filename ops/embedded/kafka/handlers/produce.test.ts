import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scope, startTestBroker, uniqueName } from '../../../../test/helpers/kafkajs.ts';
import { RawConnection, addPartitionsToTxn, createTopic, fetch as rawFetch, initProducerId, produce } from '../../../../test/helpers/raw-client.ts';
import { encodeBatch } from '../../../../test/helpers/raw-wire.ts';

const record = { key: Buffer.from('k'), value: Buffer.from('v') };

async function setup(t: ConstructorParameters<typeof Scope>[0]): Promise<{ conn: RawConnection; topic: string }> {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope);
  const conn = await RawConnection.fromBootstrap(bootstrap);
  scope.defer('close connection', () => conn.close());
  const topic = uniqueName('produce');
  assert.equal(await createTopic(conn, topic, 1), 0);
  return { conn, topic };
}

test('produce refuses acks outside -1, 0 and 1 with 21 and appends nothing', async (t) => {
  const { conn, topic } = await setup(t);
  assert.deepEqual(await produce(conn, topic, 0, encodeBatch({ records: [record] }), { acks: 2 }), { errorCode: 21, baseOffset: -1 });
  assert.equal((await rawFetch(conn, topic, 0, 0)).highWatermark, 0);
});

test('produce answers 2 for an empty entry, two batches, a bad CRC and a non-v2 magic', async (t) => {
  const { conn, topic } = await setup(t);
  const batch = encodeBatch({ records: [record] });
  const badCrc = Buffer.from(batch);
  badCrc.writeUInt8(badCrc.readUInt8(badCrc.length - 1) ^ 0xff, badCrc.length - 1);
  for (const [what, bytes] of [
    ['no batch', Buffer.alloc(0)],
    ['two batches', Buffer.concat([batch, batch])],
    ['a bad CRC', badCrc],
    ['magic 1', encodeBatch({ records: [record], magic: 1 })],
  ] as const) {
    assert.equal((await produce(conn, topic, 0, bytes)).errorCode, 2, what);
  }
  assert.equal((await rawFetch(conn, topic, 0, 0)).highWatermark, 0, 'nothing was appended');
});

test('produce refuses a transactional batch whose partition is not in the transaction or whose id does not match', async (t) => {
  const { conn, topic } = await setup(t);
  const txnId = uniqueName('tx');
  const { producerId, producerEpoch } = await initProducerId(conn, txnId, 60_000);
  const batch = encodeBatch({ producerId, producerEpoch, baseSequence: 0, transactional: true, records: [record] });
  assert.equal((await produce(conn, topic, 0, batch, { transactionalId: txnId })).errorCode, 48, 'partition not added');
  assert.equal((await produce(conn, topic, 0, batch, { transactionalId: null })).errorCode, 49, 'no transactional id');
  assert.equal((await produce(conn, topic, 0, batch, { transactionalId: uniqueName('other') })).errorCode, 49, 'another transactional id');
  const stale = encodeBatch({ producerId, producerEpoch: producerEpoch + 1, baseSequence: 0, transactional: true, records: [record] });
  assert.equal(await addPartitionsToTxn(conn, txnId, producerId, producerEpoch, topic, 0), 0);
  assert.equal((await produce(conn, topic, 0, stale, { transactionalId: txnId })).errorCode, 47, 'an epoch other than the current one');
  assert.deepEqual(await produce(conn, topic, 0, batch, { transactionalId: txnId }), { errorCode: 0, baseOffset: 0 });
  const fetched = await rawFetch(conn, topic, 0, 0, { isolation: 1 });
  assert.equal(fetched.lastStableOffset, 0, 'the open transaction holds the LSO');
  assert.equal(fetched.highWatermark, 1);
});
