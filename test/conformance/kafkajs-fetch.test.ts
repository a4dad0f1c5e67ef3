/**
 * Conformance scenario 23 of the broker spec (§10; Fetch and ListOffsets in §5): out-of-range
 * fetches, kafkajs's reset on them, long polls that time out or wake on an append, KIP-74's
 * first-batch rule, and the ListOffsets answers kafkajs relies on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBatches, encodeBatch } from '../helpers/raw-wire.ts';
import { RawConnection, fetch, listOffset, metadata, produce } from '../helpers/raw-client.ts';
import { Collector, Scope, connectedAdmin, connectedConsumer, connectedProducer, newKafka, startTestBroker, uniqueName } from '../helpers/kafkajs.ts';
import type { TestOwner } from '../helpers/wait.ts';

async function setup(t: TestOwner) {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope);
  const kafka = newKafka(bootstrap);
  const topic = uniqueName('fetch');
  const conn = await RawConnection.fromBootstrap(bootstrap);
  scope.defer('close raw connection', () => conn.close());
  assert.equal((await metadata(conn, [topic], true)).topics[0]?.errorCode, 0);
  return { scope, kafka, topic, conn, bootstrap };
}

test('a fetch beyond the high watermark or below zero gets 1, at the high watermark gets 0 and no records, for an unknown topic 3 (scenario 23)', async (t) => {
  const { conn, topic } = await setup(t);
  await produce(conn, topic, 0, encodeBatch({ records: [{ key: null, value: Buffer.from('a') }, { key: null, value: Buffer.from('b') }, { key: null, value: Buffer.from('c') }] }));
  const beyond = await fetch(conn, topic, 0, 3 + 5);
  assert.equal(beyond.errorCode, 1);
  assert.equal((await fetch(conn, topic, 0, -1)).errorCode, 1);
  const atEnd = await fetch(conn, topic, 0, 3);
  assert.deepEqual({ errorCode: atEnd.errorCode, hw: atEnd.highWatermark, bytes: atEnd.records.length }, { errorCode: 0, hw: 3, bytes: 0 });
  assert.equal((await fetch(conn, uniqueName('unknown'), 0, 0)).errorCode, 3);
  const inside = await fetch(conn, topic, 0, 1);
  assert.deepEqual(decodeBatches(inside.records).map((b) => [b.baseOffset, b.lastOffset]), [[0, 2]], 'the whole batch holding offset 1 is returned');
});

test('kafkajs resets a committed offset past the high watermark and consumes from the earliest offset (scenario 23)', async (t) => {
  const { scope, kafka, topic } = await setup(t);
  const producer = await connectedProducer(scope, kafka);
  await producer.send({ topic, messages: [{ value: 'r0' }, { value: 'r1' }, { value: 'r2' }] });
  const groupId = uniqueName('g');
  const admin = await connectedAdmin(scope, kafka);
  await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '8' }] });
  assert.equal((await admin.fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions[0]?.offset, '8');

  const consumer = await connectedConsumer(scope, kafka, groupId);
  const seen = new Collector();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: seen.eachMessage });
  await seen.waitForCount(3);
  assert.deepEqual(seen.messages.map((m) => [m.offset, m.value]), [[0, 'r0'], [1, 'r1'], [2, 'r2']]);
});

test('an idle long poll answers after about max_wait, and an append wakes a parked fetch at once (scenario 23)', async (t) => {
  const { scope, conn, topic, bootstrap } = await setup(t);
  const idleStartMs = Date.now();
  const idle = await fetch(conn, topic, 0, 0, { maxWaitMs: 800, minBytes: 1 });
  const idleMs = Date.now() - idleStartMs;
  assert.equal(idle.errorCode, 0);
  assert.equal(idle.records.length, 0);
  assert.ok(idleMs >= 700, `idle fetch returned after ${idleMs} ms, before max_wait 800 ms`);
  assert.ok(idleMs < 3_000, `idle fetch took ${idleMs} ms for max_wait 800 ms`);

  const waiter = await RawConnection.fromBootstrap(bootstrap);
  scope.defer('close waiter', () => waiter.close());
  const parkedStartMs = Date.now();
  const parked = fetch(waiter, topic, 0, 0, { maxWaitMs: 8_000, minBytes: 1, timeoutMs: 15_000 });
  await produce(conn, topic, 0, encodeBatch({ records: [{ key: null, value: Buffer.from('wake') }] }));
  const woken = await parked;
  const wokenMs = Date.now() - parkedStartMs;
  assert.ok(wokenMs < 4_000, `append woke the parked fetch after ${wokenMs} ms (max_wait 8000)`);
  assert.deepEqual(decodeBatches(woken.records).flatMap((b) => b.records.map((r) => r.value?.toString())), ['wake']);
});

test('a fetch whose first batch exceeds partition max bytes still returns that whole batch (KIP-74, spec §5)', async (t) => {
  const { conn, topic } = await setup(t);
  const big = Buffer.alloc(4_000, 0x61);
  await produce(conn, topic, 0, encodeBatch({ records: [{ key: null, value: big }] }));
  await produce(conn, topic, 0, encodeBatch({ records: [{ key: null, value: Buffer.from('small') }] }));
  const res = await fetch(conn, topic, 0, 0, { partitionMaxBytes: 100, maxBytes: 100 });
  const batches = decodeBatches(res.records);
  assert.equal(batches.length, 1, 'only the first batch, whole');
  assert.equal(batches[0]?.records[0]?.value?.length, big.length);
});

test('ListOffsets answers earliest, latest and by timestamp, and kafkajs admin reads them (spec §5)', async (t) => {
  const { scope, kafka, conn, topic } = await setup(t);
  const baseMs = Date.now() - 60_000;
  for (let i = 0; i < 3; i += 1) {
    await produce(conn, topic, 0, encodeBatch({ baseTimestamp: baseMs + i * 10_000, records: [{ key: null, value: Buffer.from(`t${i}`) }, { key: null, value: Buffer.from(`u${i}`), timestampDelta: 1 }] }));
  }
  assert.deepEqual(await listOffset(conn, topic, 0, -2), { errorCode: 0, offset: 0 });
  assert.deepEqual(await listOffset(conn, topic, 0, -1), { errorCode: 0, offset: 6 });
  assert.deepEqual(await listOffset(conn, topic, 0, baseMs + 5_000), { errorCode: 0, offset: 2 }, 'first batch with max timestamp >= ts');
  assert.deepEqual(await listOffset(conn, topic, 0, baseMs + 600_000), { errorCode: 0, offset: 6 }, 'past every timestamp: the log end');

  const admin = await connectedAdmin(scope, kafka);
  assert.deepEqual((await admin.fetchTopicOffsets(topic)).map((p) => ({ partition: p.partition, low: p.low, high: p.high, offset: p.offset })), [{ partition: 0, low: '0', high: '6', offset: '6' }]);
  assert.deepEqual((await admin.fetchTopicOffsetsByTimestamp(topic, baseMs + 15_000)).map((p) => p.offset), ['4']);
});
