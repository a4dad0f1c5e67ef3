/**
 * Conformance scenario 20 of the broker spec (§10; topics in §8) with the kafkajs admin client.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scope, connectedAdmin, connectedProducer, kafkaErrorTypes, newKafka, rejection, startTestBroker, uniqueName } from '../helpers/kafkajs.ts';

test('createTopics twice returns true then false, and listTopics, fetchTopicMetadata and deleteTopics agree (scenario 20)', async (t) => {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope);
  const kafka = newKafka(bootstrap);
  const admin = await connectedAdmin(scope, kafka);
  const topic = uniqueName('admin');

  assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] }), true);
  assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] }), false, 'TOPIC_ALREADY_EXISTS (36) makes kafkajs return false');
  assert.ok((await admin.listTopics()).includes(topic));

  const meta = await admin.fetchTopicMetadata({ topics: [topic] });
  assert.equal(meta.topics.length, 1);
  const described = meta.topics[0];
  assert.ok(described);
  assert.equal(described.name, topic);
  assert.deepEqual(
    [...described.partitions].sort((a, b) => a.partitionId - b.partitionId).map((p) => ({ id: p.partitionId, leader: p.leader, replicas: p.replicas, isr: p.isr, err: p.partitionErrorCode })),
    [0, 1, 2, 3].map((id) => ({ id, leader: 0, replicas: [0], isr: [0], err: 0 })),
  );

  await admin.deleteTopics({ topics: [topic] });
  assert.ok(!(await admin.listTopics()).includes(topic), 'deleted topic no longer listed');
  await assert.rejects(admin.fetchTopicMetadata({ topics: [topic] }));
});

test('internal topics stay hidden and a topic created without a partition count gets the default (spec §8)', async (t) => {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope);
  const admin = await connectedAdmin(scope, newKafka(bootstrap));
  const topic = uniqueName('default-parts');
  assert.equal(await admin.createTopics({ topics: [{ topic }] }), true);
  const meta = await admin.fetchTopicMetadata({ topics: [topic] });
  assert.equal(meta.topics[0]?.partitions.length, 1);
  const all = await admin.listTopics();
  assert.ok(!all.includes('__consumer_offsets') && !all.includes('__transaction_state'), `internal topics hidden: ${JSON.stringify(all)}`);
});

test('a deleted and re-created topic starts empty at offset 0 (spec §8)', async (t) => {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope);
  const kafka = newKafka(bootstrap);
  const admin = await connectedAdmin(scope, kafka);
  const producer = await connectedProducer(scope, kafka);
  const topic = uniqueName('recreate');
  assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] }), true);
  await producer.send({ topic, messages: [{ value: 'one' }, { value: 'two' }] });
  assert.deepEqual((await admin.fetchTopicOffsets(topic)).map((p) => p.high), ['2']);

  await admin.deleteTopics({ topics: [topic] });
  assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] }), true);
  assert.deepEqual((await admin.fetchTopicOffsets(topic)).map((p) => ({ low: p.low, high: p.high })), [{ low: '0', high: '0' }]);
});

test('creating a topic with an invalid partition count and deleting a missing topic fail with 37 and 3 (spec §8)', async (t) => {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope);
  const kafka = newKafka(bootstrap, undefined, 1);
  const admin = await connectedAdmin(scope, kafka);
  const invalid = await rejection(admin.createTopics({ topics: [{ topic: uniqueName('zero'), numPartitions: 0 }] }), 'createTopics with 0 partitions');
  assert.ok(kafkaErrorTypes(invalid).includes('INVALID_PARTITIONS'), `got ${kafkaErrorTypes(invalid).join(',')}`);
  const missing = await rejection(admin.deleteTopics({ topics: [uniqueName('missing')], timeout: 2_000 }), 'deleteTopics of a missing topic');
  assert.ok(kafkaErrorTypes(missing).includes('UNKNOWN_TOPIC_OR_PARTITION'), `got ${kafkaErrorTypes(missing).join(',')}`);
});
