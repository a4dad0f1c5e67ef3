import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Scope,
  connectedAdmin,
  connectedProducer,
  consumeCount,
  newKafka,
  startTestBroker,
  uniqueName,
} from '../../../test/helpers/kafkajs.ts';

test('broker serves kafkajs admin, an acks=-1 producer and a consumer reading from the beginning', async (t) => {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope);
  const kafka = newKafka(bootstrap);
  const admin = await connectedAdmin(scope, kafka);
  const topic = uniqueName('smoke');
  assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] }), true);
  assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] }), false, 'a second create reports the topic exists');
  assert.ok((await admin.listTopics()).includes(topic));

  const producer = await connectedProducer(scope, kafka);
  const sent = await producer.send({
    topic,
    acks: -1,
    messages: [0, 1, 2].map((i) => ({ key: `k${i}`, value: `v${i}`, partition: 0, headers: { h: `x${i}` } })),
  });
  assert.equal(sent[0]?.errorCode, 0);
  assert.equal(sent[0]?.baseOffset, '0');

  const received = await consumeCount(scope, kafka, topic, 3);
  assert.deepEqual(
    received.map((m) => [m.partition, m.offset, m.key, m.value, m.headers.h]),
    [0, 1, 2].map((i) => [0, i, `k${i}`, `v${i}`, `x${i}`]),
  );
});

test('broker stores each message of an idempotent kafkajs producer once', async (t) => {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope);
  const kafka = newKafka(bootstrap);
  const topic = uniqueName('idempotent');
  const producer = await connectedProducer(scope, kafka, { idempotent: true, maxInFlightRequests: 1 });
  for (let i = 0; i < 5; i += 1) await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: `v${i}` }] });
  const admin = await connectedAdmin(scope, kafka);
  const offsets = await admin.fetchTopicOffsets(topic);
  assert.deepEqual(offsets.map((o) => [o.partition, o.high]), [[0, '5']]);
  const received = await consumeCount(scope, kafka, topic, 5);
  assert.deepEqual(received.map((m) => m.value), ['v0', 'v1', 'v2', 'v3', 'v4']);
});

test('broker shows a committed kafkajs transaction to a read_committed consumer', async (t) => {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope);
  const kafka = newKafka(bootstrap);
  const topic = uniqueName('txn');
  const producer = await connectedProducer(scope, kafka, { transactionalId: uniqueName('tx'), idempotent: true, maxInFlightRequests: 1 });
  const txn = await producer.transaction();
  await txn.send({ topic, messages: [{ key: 'a', value: '1' }, { key: 'b', value: '2' }] });
  await txn.commit();
  const admin = await connectedAdmin(scope, kafka);
  // Two records and the COMMIT marker (spec §10 scenario 10: HW = last + 2).
  assert.deepEqual((await admin.fetchTopicOffsets(topic)).map((o) => o.high), ['3']);
  const received = await consumeCount(scope, kafka, topic, 2, { readUncommitted: false });
  assert.deepEqual(received.map((m) => [m.offset, m.key, m.value]), [[0, 'a', '1'], [1, 'b', '2']]);
});
