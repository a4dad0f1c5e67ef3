/**
 * The broker as a child process, SIGKILLed and restarted on the same data directory and port:
 * acknowledged idempotent writes survive exactly once (spec §4: producer state is rebuilt from
 * the log, so the producer's retries of unacknowledged batches are deduplicated), committed
 * group offsets survive, a committed transaction stays visible and an open one is aborted by
 * its timeout after the restart, fencing its producer (spec §7).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Kafka, Producer } from 'kafkajs';
import { spawnBroker, type BrokerProcess } from '../helpers/broker-process.ts';
import { decodeBatches, encodeBatch } from '../helpers/raw-wire.ts';
import { RawConnection, createTopic, fetch, initProducerId, listOffset, produce } from '../helpers/raw-client.ts';
import { Collector, Scope, connectedAdmin, connectedConsumer, connectedProducer, consumeCount, kafkaErrorTypes, newKafka, rejection, uniqueName } from '../helpers/kafkajs.ts';
import { describeError, tempDir, waitFor, type TestOwner } from '../helpers/wait.ts';

const RECORDS_TOTAL = 100_000;
const RECORDS_PER_SEND = 500;
/** Kill when this many records are acknowledged, so each crash lands mid-stream. */
const KILL_AFTER_ACKED = [30_000, 65_000];
const PARTITIONS = 2;
/** Bytes per raw fetch when reading everything back. */
const READBACK_FETCH_BYTES = 4 * 1024 * 1024;

async function startChildBroker(scope: Scope): Promise<BrokerProcess> {
  const dir = tempDir('broker-restart', { after: (fn) => scope.defer('remove data dir', fn) });
  const broker = await spawnBroker({
    dataDir: dir.path,
    extraArgs: ['--transaction-check-interval-ms', '200', '--group-initial-rebalance-delay-ms', '100', '--log-level', 'warn'],
  });
  scope.defer('stop broker', () => broker.stop());
  return broker;
}

/** Kafka client that keeps retrying through a broker restart (several seconds of refusals). */
function patientKafka(bootstrap: string): Kafka {
  return newKafka(bootstrap, uniqueName('restart-client'), 40);
}

/** Reads a whole partition with raw fetches and returns every record value, in offset order. */
async function readPartition(bootstrap: string, topic: string, partition: number): Promise<string[]> {
  const conn = await RawConnection.fromBootstrap(bootstrap);
  try {
    const end = await listOffset(conn, topic, partition, -1);
    const values: string[] = [];
    let next = 0;
    while (next < end.offset) {
      const res = await fetch(conn, topic, partition, next, { maxBytes: READBACK_FETCH_BYTES, partitionMaxBytes: READBACK_FETCH_BYTES });
      assert.equal(res.errorCode, 0, `fetch ${topic}-${partition} at ${next}`);
      const batches = decodeBatches(res.records);
      assert.ok(batches.length > 0, `fetch at ${next} below the log end ${end.offset} returned no batch`);
      for (const batch of batches) {
        for (const rec of batch.records) if (rec.offset >= next && !batch.isControl) values.push(rec.value?.toString() ?? '');
        next = batch.lastOffset + 1;
      }
    }
    return values;
  } finally {
    conn.close();
  }
}

/**
 * Sends RECORDS_TOTAL records in `lanes` concurrent send loops, each through its own idempotent
 * producer, SIGKILLs and restarts the broker twice mid-stream, then checks every acknowledged
 * record is stored exactly once.
 *
 * One producer per loop, because kafkajs's idempotence does not survive concurrent sends on one
 * producer: a request that fails with an unknown outcome (its connection died) gives its sequence
 * numbers back, so a batch of another send can be built with them; after the restart that batch
 * matches the stored one's sequence range and is answered as its duplicate (its records are lost),
 * and the first batch is retried under new numbers and stored twice. Kafka's own client keeps an
 * unknown-outcome batch's sequence and resends it first; the broker answers both the same way.
 */
async function survivesKills(t: TestOwner, maxInFlightRequests: number, lanes: number): Promise<void> {
  const scope = new Scope(t);
  const broker = await startChildBroker(scope);
  const kafka = patientKafka(broker.bootstrap);
  const topic = uniqueName('restart');
  const admin = await connectedAdmin(scope, kafka);
  assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }] }), true);
  const producers = await Promise.all(Array.from({ length: lanes }, () => connectedProducer(scope, kafka, { idempotent: true, maxInFlightRequests })));

  const acked = new Set<string>();
  const sendErrors: string[] = [];
  const sendLoop = async (lane: number): Promise<void> => {
    const producer = producers[lane] ?? assert.fail(`no producer for lane ${lane}`);
    for (let first = lane * RECORDS_PER_SEND; first < RECORDS_TOTAL; first += RECORDS_PER_SEND * lanes) {
      const ids = Array.from({ length: RECORDS_PER_SEND }, (_, i) => `id-${first + i}`);
      try {
        await producer.send({ topic, acks: -1, messages: ids.map((id, i) => ({ key: `k${i % 16}`, value: id, partition: (first / RECORDS_PER_SEND) % PARTITIONS })) });
        for (const id of ids) acked.add(id);
      } catch (err) {
        // A send that fails for good is not acknowledged; the test then checks nothing was lost that was.
        sendErrors.push(`${first}: ${describeError(err)} [${kafkaErrorTypes(err).join(',')}]`);
      }
    }
  };
  const sending = Promise.all(Array.from({ length: lanes }, (_, lane) => sendLoop(lane)));

  const ackedAtKills: number[] = [];
  for (const killAfter of KILL_AFTER_ACKED) {
    await waitFor(() => acked.size >= killAfter, { timeoutMs: 60_000, message: () => `${killAfter} acknowledged records (have ${acked.size}, errors ${sendErrors.join('; ')})` });
    const exit = await broker.kill('SIGKILL');
    assert.equal(exit.signal, 'SIGKILL');
    ackedAtKills.push(acked.size);
    await broker.restart();
  }
  await sending;

  assert.deepEqual(sendErrors, [], `every send eventually succeeded after the restarts\n${broker.output().slice(-4000)}`);
  assert.ok(ackedAtKills.every((n) => n < RECORDS_TOTAL), `the kills happened mid-stream: ${ackedAtKills.join(', ')}`);

  const counts = new Map<string, number>();
  for (let p = 0; p < PARTITIONS; p += 1) {
    for (const value of await readPartition(broker.bootstrap, topic, p)) counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  const duplicates = [...counts].filter(([, n]) => n > 1);
  const missing = [...acked].filter((id) => !counts.has(id));
  assert.deepEqual(duplicates.slice(0, 10), [], `${duplicates.length} ids stored more than once`);
  assert.deepEqual(missing.slice(0, 10), [], `${missing.length} acknowledged ids missing`);
  assert.equal(acked.size, RECORDS_TOTAL);
  assert.equal(counts.size, RECORDS_TOTAL);
}

test('acknowledged idempotent records survive SIGKILLs and restarts exactly once while the producer keeps sending', async (t) => {
  await survivesKills(t, 1, 1);
});

test('three idempotent producers (maxInFlightRequests 5) sending at once still store acknowledged records exactly once across SIGKILLs', async (t) => {
  await survivesKills(t, 5, 3);
});

test('producer sequence state is rebuilt after a SIGKILL: a replayed batch gets its original offset and a gap still gets 45', async (t) => {
  const scope = new Scope(t);
  const broker = await startChildBroker(scope);
  const topic = uniqueName('seq-restart');
  let conn = await RawConnection.fromBootstrap(broker.bootstrap);
  assert.equal(await createTopic(conn, topic, 1), 0);
  const { producerId, producerEpoch } = await initProducerId(conn, null, 60_000);
  const batch = (seq: number, value: string) => encodeBatch({ producerId, producerEpoch, baseSequence: seq, records: [{ key: null, value: Buffer.from(value) }, { key: null, value: Buffer.from(`${value}+`) }] });
  const first = batch(0, 'first');
  const second = batch(2, 'second');
  assert.deepEqual(await produce(conn, topic, 0, first), { errorCode: 0, baseOffset: 0 });
  assert.deepEqual(await produce(conn, topic, 0, second), { errorCode: 0, baseOffset: 2 });
  conn.close();

  await broker.kill('SIGKILL');
  await broker.restart();
  conn = await RawConnection.fromBootstrap(broker.bootstrap);
  scope.defer('close raw connection', () => conn.close());
  assert.deepEqual(await produce(conn, topic, 0, second), { errorCode: 0, baseOffset: 2 }, 'replay of the last batch after the restart');
  assert.deepEqual(await produce(conn, topic, 0, first), { errorCode: 0, baseOffset: 0 }, 'replay of an older batch after the restart');
  assert.equal((await produce(conn, topic, 0, batch(7, 'gap'))).errorCode, 45);
  assert.deepEqual(await produce(conn, topic, 0, batch(4, 'third')), { errorCode: 0, baseOffset: 4 });
  assert.deepEqual(await listOffset(conn, topic, 0, -1), { errorCode: 0, offset: 6 });
  const next = await initProducerId(conn, null, 60_000);
  assert.notEqual(next.producerId, producerId, 'producer ids are not reissued after a restart');
});

test('committed group offsets survive a SIGKILL and a clean stop, and the consumer resumes after the restarts', async (t) => {
  const scope = new Scope(t);
  const broker = await startChildBroker(scope);
  const kafka = patientKafka(broker.bootstrap);
  const topic = uniqueName('offsets');
  const groupId = uniqueName('g');
  const admin = await connectedAdmin(scope, kafka);
  assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] }), true);
  const producer = await connectedProducer(scope, kafka);
  await producer.send({ topic, messages: ['o0', 'o1', 'o2', 'o3', 'o4'].map((value) => ({ value })) });

  const consumer = await connectedConsumer(scope, kafka, groupId);
  const seen = new Collector();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ autoCommit: false, eachMessage: seen.eachMessage });
  await seen.waitForCount(5);
  await consumer.commitOffsets([{ topic, partition: 0, offset: '3' }]);
  await consumer.disconnect();

  await broker.kill('SIGKILL');
  await broker.restart();
  // And once more through a clean SIGTERM stop, which must exit 0.
  assert.deepEqual(await broker.stop(), { code: 0, signal: null }, `clean stop\n${broker.output().slice(-3000)}`);
  await broker.start();

  await waitFor(async () => (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions[0]?.offset === '3', {
    timeoutMs: 20_000,
    message: 'the committed offset 3 to be readable after the restart',
  });
  const resumed = await connectedConsumer(scope, kafka, groupId);
  const after = new Collector();
  await resumed.subscribe({ topic, fromBeginning: true });
  await resumed.run({ eachMessage: after.eachMessage });
  await after.waitForCount(2, 20_000);
  assert.deepEqual(after.messages.map((m) => [m.offset, m.value]), [[3, 'o3'], [4, 'o4']]);
});

async function transactionalProducer(scope: Scope, kafka: Kafka, transactionTimeout: number): Promise<Producer> {
  return connectedProducer(scope, kafka, { transactionalId: uniqueName('tid'), idempotent: true, maxInFlightRequests: 1, transactionTimeout });
}

test('after a SIGKILL a committed transaction stays visible and an open one is aborted by its timeout, fencing its producer', async (t) => {
  const scope = new Scope(t);
  const broker = await startChildBroker(scope);
  const kafka = patientKafka(broker.bootstrap);
  const topic = uniqueName('txn-restart');
  const admin = await connectedAdmin(scope, kafka);
  assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] }), true);

  const committer = await transactionalProducer(scope, kafka, 60_000);
  const done = await committer.transaction();
  await done.send({ topic, messages: [{ value: 'committed-0' }, { value: 'committed-1' }] });
  await done.commit();

  const timeoutMs = 3_000;
  const stalled = await transactionalProducer(scope, kafka, timeoutMs);
  const open = await stalled.transaction();
  await open.send({ topic, messages: [{ value: 'open-0' }, { value: 'open-1' }] });

  await broker.kill('SIGKILL');
  await broker.restart();

  const conn = await RawConnection.fromBootstrap(broker.bootstrap);
  scope.defer('close raw connection', () => conn.close());
  // committed: 0..1, COMMIT at 2; open: 3..4; the timeout abort writes its marker at 5.
  let lso = -1;
  await waitFor(async () => (lso = (await listOffset(conn, topic, 0, -1, 1)).offset) === 6, {
    timeoutMs: timeoutMs + 15_000,
    message: () => `the open transaction to be aborted after the restart (LSO ${lso})`,
  });
  const raw = await fetch(conn, topic, 0, 0, { isolation: 1 });
  const batches = decodeBatches(raw.records);
  assert.deepEqual(batches.map((b) => ({ base: b.baseOffset, control: b.isControl, type: b.controlType })), [
    { base: 0, control: false, type: undefined },
    { base: 2, control: true, type: 1 },
    { base: 3, control: false, type: undefined },
    { base: 5, control: true, type: 0 },
  ]);
  assert.deepEqual(raw.aborted, [{ producerId: batches[2]?.producerId, firstOffset: 3 }]);

  const readCommitted = await consumeCount(scope, kafka, topic, 2, {}, 20_000);
  assert.deepEqual(readCommitted.map((m) => m.value), ['committed-0', 'committed-1']);
  const readUncommitted = await consumeCount(scope, kafka, topic, 4, { readUncommitted: true }, 20_000);
  assert.deepEqual(readUncommitted.map((m) => [m.offset, m.value]), [[0, 'committed-0'], [1, 'committed-1'], [3, 'open-0'], [4, 'open-1']]);

  const err = await rejection(open.commit(), 'commit of the transaction aborted by its timeout');
  assert.ok(kafkaErrorTypes(err).includes('INVALID_PRODUCER_EPOCH'), `old producer fenced with 47: ${kafkaErrorTypes(err).join(',')} ${describeError(err)}`);
});
