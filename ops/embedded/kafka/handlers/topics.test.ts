import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scope, startTestBroker, uniqueName } from '../../../../test/helpers/kafkajs.ts';
import { RawConnection, metadata } from '../../../../test/helpers/raw-client.ts';
import { ApiKey, Writer } from '../../../../test/helpers/raw-wire.ts';

interface TopicSpec {
  name: string;
  partitions: number;
  replicationFactor?: number;
  assignments?: Array<[number, number[]]>;
  configs?: Array<[string, string | null]>;
}

async function createTopics(conn: RawConnection, topics: TopicSpec[]): Promise<Array<[string, number]>> {
  const body = new Writer()
    .array(topics, (w, t) =>
      w
        .string(t.name)
        .int32(t.partitions)
        .int16(t.replicationFactor ?? -1)
        .array(t.assignments ?? [], (w2, [index, brokers]) => w2.int32(index).array(brokers, (w3, b) => w3.int32(b)))
        .array(t.configs ?? [], (w2, [k, v]) => w2.string(k).string(v)),
    )
    .int32(5000)
    .build();
  const r = await conn.request(ApiKey.CreateTopics, 0, body);
  return r.array((x) => [x.string() ?? '', x.int16()] as [string, number]) ?? [];
}

async function deleteTopics(conn: RawConnection, names: string[]): Promise<Array<[string, number]>> {
  const r = await conn.request(ApiKey.DeleteTopics, 0, new Writer().array(names, (w, n) => w.string(n)).int32(5000).build());
  return r.array((x) => [x.string() ?? '', x.int16()] as [string, number]) ?? [];
}

test('create topics answers each bad topic with its own error code and creates the good ones', async (t) => {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope, { defaultPartitions: 2 });
  const conn = await RawConnection.fromBootstrap(bootstrap);
  scope.defer('close connection', () => conn.close());
  const n = (s: string): string => uniqueName(s);
  const specs: Array<[TopicSpec, number]> = [
    [{ name: n('ok-default'), partitions: -1 }, 0],
    [{ name: n('ok-configs'), partitions: 1, configs: [['retention.ms', '1000'], ['cleanup.policy', 'compact'], ['min.insync.replicas', '2']] }, 0],
    [{ name: n('ok-assigned'), partitions: -1, assignments: [[0, [0]], [1, [0]]] }, 0],
    [{ name: n('zero'), partitions: 0 }, 37],
    [{ name: n('too-many'), partitions: 100_000 }, 37],
    [{ name: n('replicas'), partitions: 1, replicationFactor: 3 }, 38],
    [{ name: n('bad-retention'), partitions: 1, configs: [['retention.ms', 'soon']] }, 40],
    [{ name: n('bad-policy'), partitions: 1, configs: [['cleanup.policy', 'shred']] }, 40],
    [{ name: n('both'), partitions: 2, assignments: [[0, [0]]] }, 42],
    [{ name: n('elsewhere'), partitions: -1, assignments: [[0, [1]]] }, 38],
    [{ name: 'bad/name', partitions: 1 }, 17],
    [{ name: '__consumer_offsets', partitions: 1 }, 17],
  ];
  const results = await createTopics(conn, specs.map(([spec]) => spec));
  assert.deepEqual(results, specs.map(([spec, code]) => [spec.name, code]));

  const created = await metadata(conn, specs.slice(0, 3).map(([spec]) => spec.name), false);
  assert.deepEqual(created.topics.map((topic) => [topic.errorCode, topic.partitions.length]), [[0, 2], [0, 1], [0, 2]]);
  const refused = await metadata(conn, [specs[3]?.[0].name ?? ''], false);
  assert.equal(refused.topics[0]?.errorCode, 3, 'a refused topic was not created');
});

test('create topics refuses a name listed twice and an existing topic', async (t) => {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope);
  const conn = await RawConnection.fromBootstrap(bootstrap);
  scope.defer('close connection', () => conn.close());
  const name = uniqueName('twice');
  assert.deepEqual(await createTopics(conn, [{ name, partitions: 1 }]), [[name, 0]]);
  assert.deepEqual(await createTopics(conn, [{ name, partitions: 1 }]), [[name, 36]]);
  const other = uniqueName('dup');
  assert.deepEqual(await createTopics(conn, [{ name: other, partitions: 1 }, { name: other, partitions: 1 }]), [[other, 42], [other, 42]]);
  assert.equal((await metadata(conn, [other], false)).topics[0]?.errorCode, 3, 'neither entry created the topic');
});

test('delete topics answers 3 for a missing or internal topic and removes an existing one', async (t) => {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope);
  const conn = await RawConnection.fromBootstrap(bootstrap);
  scope.defer('close connection', () => conn.close());
  const name = uniqueName('doomed');
  await createTopics(conn, [{ name, partitions: 1 }]);
  assert.deepEqual(await deleteTopics(conn, [name, uniqueName('missing'), '__transaction_state']).then((r) => r.map(([, code]) => code)), [0, 3, 3]);
  assert.equal((await metadata(conn, [name], false)).topics[0]?.errorCode, 3);
});
