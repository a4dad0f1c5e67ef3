/**
 * Conformance scenarios 1, 3, 4 and 5 of the broker spec (§10) with kafkajs 2.2.4 over real
 * sockets, plus raw-frame checks of what kafkajs cannot show (the advertised versions, the
 * missing response to acks=0, compressed batches stored as sent).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompressionTypes } from 'kafkajs';
import { ApiKey, Writer, decodeBatches, encodeBatch } from '../helpers/raw-wire.ts';
import { RawConnection, apiVersions, fetch, metadata, produce, produceBody } from '../helpers/raw-client.ts';
import { Scope, connectedAdmin, connectedProducer, consumeCount, newKafka, startTestBroker, uniqueName } from '../helpers/kafkajs.ts';
import { waitFor } from '../helpers/wait.ts';

/** Spec §1: one implemented version per API, advertised as 0..max. */
const EXPECTED_MAX_VERSIONS: ReadonlyMap<number, number> = new Map([
  [ApiKey.Produce, 3],
  [ApiKey.Fetch, 4],
  [ApiKey.ListOffsets, 2],
  [ApiKey.Metadata, 4],
  [ApiKey.OffsetCommit, 2],
  [ApiKey.OffsetFetch, 3],
  [ApiKey.FindCoordinator, 1],
  [ApiKey.JoinGroup, 1],
  [ApiKey.Heartbeat, 0],
  [ApiKey.LeaveGroup, 0],
  [ApiKey.SyncGroup, 0],
  [ApiKey.DescribeGroups, 0],
  [ApiKey.ApiVersions, 2],
  [ApiKey.CreateTopics, 0],
  [ApiKey.DeleteTopics, 0],
  [ApiKey.InitProducerId, 0],
  [ApiKey.AddPartitionsToTxn, 0],
  [ApiKey.AddOffsetsToTxn, 0],
  [ApiKey.EndTxn, 0],
  [ApiKey.TxnOffsetCommit, 0],
]);
/** ListGroups is optional (spec §1 table); SASL and DescribeConfigs must not be advertised. */
const OPTIONAL_KEYS = new Set<number>([ApiKey.ListGroups]);
const FORBIDDEN_KEYS = [17, 36, 32];

test('broker advertises exactly one version per API with min 0 over ApiVersions v0, v1 and v2 (scenario 1)', async (t) => {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope);
  const conn = await RawConnection.fromBootstrap(bootstrap);
  scope.defer('close raw connection', () => conn.close());
  for (const version of [2, 1, 0] as const) {
    const res = await apiVersions(conn, version);
    assert.equal(res.errorCode, 0, `ApiVersions v${version} error`);
    if (version >= 1) assert.equal(res.throttleMs, 0, `ApiVersions v${version} throttle`);
    const advertised = new Map(res.apis.map((a) => [a.apiKey, a]));
    for (const [key, max] of EXPECTED_MAX_VERSIONS) {
      const entry = advertised.get(key);
      assert.ok(entry, `api ${key} advertised in v${version}`);
      assert.equal(entry.minVersion, 0, `api ${key} min version`);
      assert.equal(entry.maxVersion, max, `api ${key} max version`);
    }
    for (const a of res.apis) {
      assert.ok(EXPECTED_MAX_VERSIONS.has(a.apiKey) || OPTIONAL_KEYS.has(a.apiKey), `unexpected api ${a.apiKey} advertised`);
    }
    for (const key of FORBIDDEN_KEYS) assert.equal(advertised.has(key), false, `api ${key} must not be advertised`);
  }
});

test('ApiVersions v3 gets an answer on the same socket, and the socket still serves v0 after it (scenario 1)', async (t) => {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope);
  const conn = await RawConnection.fromBootstrap(bootstrap);
  scope.defer('close raw connection', () => conn.close());
  // librdkafka sends v3 (flexible: client id then an empty tagged-field section) first.
  const v3Body = new Writer().int8(0).int8(0).int8(0).build();
  const r = await conn.request(ApiKey.ApiVersions, 3, v3Body);
  const errorCode = r.int16();
  if (errorCode === 35) {
    // KIP-511: the error answer is a v0 body that lists ApiVersions itself.
    const apis = r.array((x) => ({ apiKey: x.int16(), minVersion: x.int16(), maxVersion: x.int16() })) ?? [];
    const own = apis.find((a) => a.apiKey === ApiKey.ApiVersions);
    assert.ok(own, `v3 error answer lists ApiVersions: ${JSON.stringify(apis)}`);
    assert.equal(own.minVersion, 0);
  } else {
    assert.equal(errorCode, 0, 'v3 answered either with 35 (v0 body) or implemented with 0');
  }
  assert.equal(conn.isClosed, false, 'socket stays open after ApiVersions v3');
  const v0 = await apiVersions(conn, 0);
  assert.equal(v0.errorCode, 0);
});

test('a request at an unimplemented version closes the connection (scenario 1)', async (t) => {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope);
  const conn = await RawConnection.fromBootstrap(bootstrap);
  scope.defer('close raw connection', () => conn.close());
  conn.send(ApiKey.Metadata, 1, new Writer().array([], () => undefined).build());
  await waitFor(() => conn.isClosed, { timeoutMs: 5_000, message: 'broker to close the socket after Metadata v1' });
});

test('kafkajs sees broker 0 as the controller at the advertised address (scenario 1)', async (t) => {
  const scope = new Scope(t);
  const { bootstrap, broker } = await startTestBroker(scope);
  const admin = await connectedAdmin(scope, newKafka(bootstrap));
  const cluster = await admin.describeCluster();
  assert.equal(cluster.controller, 0);
  assert.deepEqual(cluster.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port })), [{ nodeId: 0, host: broker.host, port: broker.port }]);
});

test('three records produced with acks=-1 come back at offsets 0..2 with keys, values and headers intact (scenario 3)', async (t) => {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope);
  const kafka = newKafka(bootstrap);
  const topic = uniqueName('basics');
  const producer = await connectedProducer(scope, kafka);
  const meta = await producer.send({
    topic,
    acks: -1,
    messages: [
      { key: 'k0', value: 'v0', headers: { trace: 't0', kind: 'first' } },
      { key: null, value: 'v1' },
      { key: 'k2', value: null, headers: { trace: 't2' } },
    ],
  });
  assert.equal(meta.length, 1);
  assert.equal(meta[0]?.errorCode, 0);
  assert.equal(meta[0]?.baseOffset, '0');

  const got = await consumeCount(scope, kafka, topic, 3);
  assert.deepEqual(
    got.map((m) => ({ offset: m.offset, key: m.key, value: m.value, headers: m.headers })),
    [
      { offset: 0, key: 'k0', value: 'v0', headers: { trace: 't0', kind: 'first' } },
      { offset: 1, key: null, value: 'v1', headers: {} },
      { offset: 2, key: 'k2', value: null, headers: { trace: 't2' } },
    ],
  );
});

test('a produce with acks=0 gets no response frame and its data is readable (scenario 4)', async (t) => {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope);
  const kafka = newKafka(bootstrap);
  const topic = uniqueName('acks0');
  const admin = await connectedAdmin(scope, kafka);
  assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] }), true);

  const producer = await connectedProducer(scope, kafka);
  await producer.send({ topic, acks: 0, messages: [{ key: 'a', value: 'kafkajs-acks0' }] });

  // Raw: the acks=0 produce must not be answered; the next request's answer comes first.
  const conn = await RawConnection.fromBootstrap(bootstrap);
  scope.defer('close raw connection', () => conn.close());
  const batch = encodeBatch({ records: [{ key: Buffer.from('b'), value: Buffer.from('raw-acks0') }] });
  conn.send(ApiKey.Produce, 3, produceBody(topic, 0, batch, { acks: 0 }));
  const after = await apiVersions(conn, 2);
  assert.equal(after.errorCode, 0);
  assert.equal(conn.unexpectedFrames, 0, 'no response frame for the acks=0 produce');

  const got = await consumeCount(scope, kafka, topic, 2);
  assert.deepEqual(new Set(got.map((m) => m.value)), new Set(['kafkajs-acks0', 'raw-acks0']));
  assert.equal(conn.unexpectedFrames, 0, 'still no response frame for the acks=0 produce');
});

test('a producer auto-creates a missing topic, while metadata without auto-create gets error 3 and creates nothing (scenario 5)', async (t) => {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope);
  const kafka = newKafka(bootstrap);
  const created = uniqueName('auto');
  const missing = uniqueName('missing');

  const producer = await connectedProducer(scope, kafka);
  const meta = await producer.send({ topic: created, messages: [{ value: 'x' }] });
  assert.equal(meta[0]?.errorCode, 0);

  const conn = await RawConnection.fromBootstrap(bootstrap);
  scope.defer('close raw connection', () => conn.close());
  const res = await metadata(conn, [missing], false);
  assert.deepEqual(res.topics, [{ errorCode: 3, name: missing, partitions: [] }]);
  assert.equal(res.controllerId, 0);

  const admin = await connectedAdmin(scope, kafka);
  await assert.rejects(admin.fetchTopicMetadata({ topics: [missing] }));
  const topics = await admin.listTopics();
  assert.ok(topics.includes(created), `auto-created topic listed: ${JSON.stringify(topics)}`);
  assert.ok(!topics.includes(missing), 'metadata without auto-create created nothing');

  const autoMeta = await metadata(conn, [created], false);
  assert.deepEqual(autoMeta.topics, [{ errorCode: 0, name: created, partitions: [0] }]);
});

test('metadata with auto-create rejects an invalid topic name with 17 (spec §8)', async (t) => {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope);
  const conn = await RawConnection.fromBootstrap(bootstrap);
  scope.defer('close raw connection', () => conn.close());
  const res = await metadata(conn, ['bad name!'], true);
  assert.equal(res.topics[0]?.errorCode, 17);
  const all = await metadata(conn, null, false);
  assert.ok(!all.topics.some((tp) => tp.name === 'bad name!'));
});

test('produce to a partition that does not exist gets 3 and a non-v2 batch gets 2 (spec §3, §4)', async (t) => {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope);
  const conn = await RawConnection.fromBootstrap(bootstrap);
  scope.defer('close raw connection', () => conn.close());
  const topic = uniqueName('p');
  await metadata(conn, [topic], true);
  const batch = encodeBatch({ records: [{ key: null, value: Buffer.from('x') }] });
  assert.equal((await produce(conn, topic, 7, batch)).errorCode, 3);
  assert.equal((await produce(conn, uniqueName('never-created'), 0, batch)).errorCode, 3);
  const magic1 = encodeBatch({ records: [{ key: null, value: Buffer.from('x') }], magic: 1 });
  assert.equal((await produce(conn, topic, 0, magic1)).errorCode, 2);
  assert.equal((await produce(conn, topic, 0, batch, { acks: 2 })).errorCode, 21);
});

test('a gzip-compressed batch is stored as sent and kafkajs reads it back (spec §3: no decompression in the broker)', async (t) => {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope);
  const kafka = newKafka(bootstrap);
  const topic = uniqueName('gzip');
  const producer = await connectedProducer(scope, kafka, { idempotent: true, maxInFlightRequests: 1 });
  const values = Array.from({ length: 50 }, (_, i) => `compressible-${i}-${'a'.repeat(200)}`);
  const meta = await producer.send({ topic, compression: CompressionTypes.GZIP, messages: values.map((value, i) => ({ key: `k${i}`, value })) });
  assert.equal(meta[0]?.errorCode, 0);

  const conn = await RawConnection.fromBootstrap(bootstrap);
  scope.defer('close raw connection', () => conn.close());
  const raw = await fetch(conn, topic, 0, 0);
  const batches = decodeBatches(raw.records);
  assert.deepEqual(batches.map((b) => ({ codec: b.attributes & 0x07, base: b.baseOffset, last: b.lastOffset, crcValid: b.crcValid })), [{ codec: 1, base: 0, last: 49, crcValid: true }]);
  assert.ok(raw.records.length < values.join('').length / 4, `stored compressed (${raw.records.length} bytes)`);

  const got = await consumeCount(scope, kafka, topic, values.length);
  assert.deepEqual(got.map((m) => m.value), values);
  assert.deepEqual(got.map((m) => m.offset), values.map((_, i) => i));
});
