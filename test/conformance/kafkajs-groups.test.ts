/**
 * Conformance scenarios 16 to 19, 21 and 22 of the broker spec (§10; group coordinator in §6)
 * with kafkajs consumers; kafkajs-groups-raw.test.ts shows the generations and error codes
 * kafkajs keeps to itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Consumer, Kafka } from 'kafkajs';
import { Collector, Scope, TEST_HEARTBEAT_INTERVAL_MS, connectedAdmin, connectedConsumer, connectedProducer, newKafka, startTestBroker, uniqueName } from '../helpers/kafkajs.ts';
import { waitFor, type TestOwner } from '../helpers/wait.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Join {
  memberId: string;
  isLeader: boolean;
  partitions: number[];
}

/** Records every completed join (kafkajs GROUP_JOIN) of a consumer with its partitions of `topic`. */
function trackJoins(consumer: Consumer, topic: string): Join[] {
  const joins: Join[] = [];
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    const assignment = event.payload.memberAssignment[topic] ?? [];
    joins.push({ memberId: event.payload.memberId, isLeader: event.payload.isLeader, partitions: [...assignment].sort((a, b) => a - b) });
  });
  return joins;
}

function trackRebalancing(consumer: Consumer): { count: number } {
  const counter = { count: 0 };
  consumer.on(consumer.events.REBALANCING, () => {
    counter.count += 1;
  });
  return counter;
}

/** kafkajs returns each group's error code but its type declarations omit it. */
const errorCodeOf = (group: object): unknown => (group as { errorCode?: unknown }).errorCode;

const lastPartitions = (joins: Join[]): number[] | undefined => joins[joins.length - 1]?.partitions;

async function setup(t: TestOwner, partitions: number): Promise<{ scope: Scope; kafka: Kafka; bootstrap: string; topic: string }> {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope);
  const kafka = newKafka(bootstrap);
  const topic = uniqueName('grp');
  const admin = await connectedAdmin(scope, kafka);
  assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] }), true);
  return { scope, kafka, bootstrap, topic };
}

async function produceValues(scope: Scope, kafka: Kafka, topic: string, values: string[], partitions: number): Promise<void> {
  const producer = await connectedProducer(scope, kafka);
  await producer.send({ topic, messages: values.map((value, i) => ({ value, partition: i % partitions })) });
}

test('three staggered kafkajs members end with one partition each after three generations, and nothing is lost (scenario 16)', async (t) => {
  const { scope, kafka, topic } = await setup(t, 3);
  const groupId = uniqueName('g');
  const before = Array.from({ length: 30 }, (_, i) => `before-${i}`);
  await produceValues(scope, kafka, topic, before, 3);

  const collector = new Collector();
  const members: Array<{ consumer: Consumer; joins: Join[]; rebalancing: { count: number } }> = [];
  for (let i = 0; i < 3; i += 1) {
    const consumer = await connectedConsumer(scope, kafka, groupId);
    const joins = trackJoins(consumer, topic);
    const rebalancing = trackRebalancing(consumer);
    members.push({ consumer, joins, rebalancing });
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: collector.eachMessage });
    const expected = members.length;
    await waitFor(
      () => {
        const owned = members.map((m) => lastPartitions(m.joins) ?? []);
        const joinsDone = members.every((m, index) => m.joins.length >= expected - index);
        return joinsDone && owned.every((p) => p.length > 0) && owned.flat().length === 3 && new Set(owned.flat()).size === 3;
      },
      { timeoutMs: 20_000, message: () => `${expected} member(s) to share 3 partitions: ${JSON.stringify(members.map((m) => m.joins))}` },
    );
  }
  // Member i joined 3 - i times: generations 1, 2 and 3 for the first, 2 and 3 for the second, 3 for the third.
  assert.deepEqual(members.map((m) => m.joins.length), [3, 2, 1]);
  assert.deepEqual(members.map((m) => lastPartitions(m.joins)?.length), [1, 1, 1]);
  assert.ok((members[0]?.rebalancing.count ?? 0) >= 2, 'the first member was told to rebalance twice (Heartbeat 27)');
  assert.ok((members[1]?.rebalancing.count ?? 0) >= 1, 'the second member was told to rebalance once');
  assert.equal(members.filter((m) => m.joins[m.joins.length - 1]?.isLeader).length, 1, 'one leader');
  assert.equal(members[0]?.joins[2]?.isLeader, true, 'the first member stays leader');

  const after = Array.from({ length: 30 }, (_, i) => `after-${i}`);
  await produceValues(scope, kafka, topic, after, 3);
  await waitFor(() => [...before, ...after].every((v) => collector.messages.some((m) => m.value === v)), {
    timeoutMs: 15_000,
    message: () => `all 60 values consumed (have ${new Set(collector.messages.map((m) => m.value)).size} distinct)`,
  });
});

/** A kafkajs consumer in a child process, so the test can SIGKILL it like a crashed member. */
function spawnChildConsumer(bootstrap: string, groupId: string, topic: string, sessionTimeoutMs: number) {
  const code = `
    import { Kafka, logLevel } from 'kafkajs';
    const [bootstrap, groupId, topic, session] = process.argv.slice(1);
    const kafka = new Kafka({ clientId: 'child', brokers: [bootstrap], logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({ groupId, sessionTimeout: Number(session), heartbeatInterval: 200, rebalanceTimeout: 5000, maxWaitTimeInMs: 200 });
    consumer.on(consumer.events.GROUP_JOIN, (e) => console.log(JSON.stringify({ join: e.payload.memberAssignment[topic] ?? [] })));
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async () => {} });
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code, bootstrap, groupId, topic, String(sessionTimeoutMs)], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const joins: number[][] = [];
  let output = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    output += chunk;
    for (const line of chunk.split('\n')) {
      if (line.startsWith('{"join"')) joins.push((JSON.parse(line) as { join: number[] }).join);
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    output += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, joins, exited, output: () => output };
}

test('when a member leaves the survivors rebalance at once, and a SIGKILLed member is evicted after its session timeout (scenario 17)', async (t) => {
  const { scope, kafka, bootstrap, topic } = await setup(t, 3);
  const groupId = uniqueName('g');
  const survivor = await connectedConsumer(scope, kafka, groupId);
  const survivorJoins = trackJoins(survivor, topic);
  await survivor.subscribe({ topic, fromBeginning: true });
  await survivor.run({ eachMessage: async () => undefined });
  await waitFor(() => lastPartitions(survivorJoins)?.length === 3, { timeoutMs: 15_000, message: 'the survivor to own all partitions' });

  // A member that leaves cleanly: the survivor gets everything back well within a session timeout.
  const leaver = await connectedConsumer(scope, kafka, groupId);
  const leaverJoins = trackJoins(leaver, topic);
  await leaver.subscribe({ topic, fromBeginning: true });
  await leaver.run({ eachMessage: async () => undefined });
  await waitFor(() => (lastPartitions(survivorJoins)?.length ?? 0) + (lastPartitions(leaverJoins)?.length ?? 0) === 3 && lastPartitions(leaverJoins)?.length !== 0 && leaverJoins.length > 0, {
    timeoutMs: 15_000,
    message: () => `two members to share the partitions: ${JSON.stringify({ survivorJoins, leaverJoins })}`,
  });
  const joinsBeforeLeave = survivorJoins.length;
  const leftAtMs = Date.now();
  await leaver.disconnect();
  await waitFor(() => survivorJoins.length > joinsBeforeLeave && lastPartitions(survivorJoins)?.length === 3, {
    timeoutMs: 10_000,
    message: () => `the survivor to own all partitions after a LeaveGroup: ${JSON.stringify(survivorJoins)}`,
  });
  const afterLeaveMs = Date.now() - leftAtMs;
  assert.ok(afterLeaveMs < 3_000 + 10 * TEST_HEARTBEAT_INTERVAL_MS, `rebalance after LeaveGroup took ${afterLeaveMs} ms`);

  // A member that is SIGKILLed: evicted once its session timeout passes.
  const sessionTimeoutMs = 3_000;
  const crashed = spawnChildConsumer(bootstrap, groupId, topic, sessionTimeoutMs);
  scope.defer('kill child consumer', () => {
    crashed.child.kill('SIGKILL');
    return crashed.exited;
  });
  await waitFor(() => crashed.joins.length > 0 && (crashed.joins[crashed.joins.length - 1]?.length ?? 0) > 0 && lastPartitions(survivorJoins)?.length !== 3, {
    timeoutMs: 20_000,
    message: () => `the child member to get partitions: ${crashed.output()} ${JSON.stringify(survivorJoins)}`,
  });
  const joinsBeforeKill = survivorJoins.length;
  crashed.child.kill('SIGKILL');
  await crashed.exited;
  const killedAtMs = Date.now();
  await waitFor(() => survivorJoins.length > joinsBeforeKill && lastPartitions(survivorJoins)?.length === 3, {
    timeoutMs: sessionTimeoutMs + 10_000,
    message: () => `the survivor to own all partitions after the killed member's session expired: ${JSON.stringify(survivorJoins)}`,
  });
  const evictedAfterMs = Date.now() - killedAtMs;
  assert.ok(evictedAfterMs < sessionTimeoutMs + 5_000, `eviction took ${evictedAfterMs} ms for a ${sessionTimeoutMs} ms session`);
});

test('a consumer restarted in its group resumes at the committed offset (scenario 18)', async (t) => {
  const { scope, kafka, topic } = await setup(t, 1);
  const groupId = uniqueName('g');
  await produceValues(scope, kafka, topic, ['m0', 'm1', 'm2', 'm3', 'm4'], 1);
  const first = await connectedConsumer(scope, kafka, groupId);
  const seen = new Collector();
  await first.subscribe({ topic, fromBeginning: true });
  await first.run({ autoCommit: false, eachMessage: seen.eachMessage });
  await seen.waitForCount(5);
  await first.commitOffsets([{ topic, partition: 0, offset: '3' }]);
  await first.disconnect();

  const admin = await connectedAdmin(scope, kafka);
  assert.deepEqual((await admin.fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions.map((p) => p.offset), ['3']);

  const second = await connectedConsumer(scope, kafka, groupId);
  const resumed = new Collector();
  await second.subscribe({ topic, fromBeginning: true });
  await second.run({ eachMessage: resumed.eachMessage });
  await resumed.waitForCount(2);
  assert.deepEqual(resumed.messages.map((m) => [m.offset, m.value]), [[3, 'm3'], [4, 'm4']]);
});

test('seek while running commits the seek offset and re-delivers from it (scenario 19)', async (t) => {
  const { scope, kafka, topic } = await setup(t, 1);
  const groupId = uniqueName('g');
  await produceValues(scope, kafka, topic, ['s0', 's1', 's2', 's3', 's4'], 1);
  const admin = await connectedAdmin(scope, kafka);
  const consumer = await connectedConsumer(scope, kafka, groupId);
  const seen = new Collector();
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let seeking = false;
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async (payload) => {
      await seen.eachMessage(payload);
      // Hold the first re-delivered record so the committed offset can be read before auto-commit moves it.
      if (seeking) await released;
    },
  });
  await seen.waitForCount(5);
  await waitFor(async () => (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions[0]?.offset === '5', {
    timeoutMs: 10_000,
    message: 'auto-commit of offset 5',
  });
  seeking = true;
  consumer.seek({ topic, partition: 0, offset: '1' });
  await seen.waitForCount(6);
  const committed = (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions[0]?.offset;
  release();
  assert.equal(committed, '1', 'seek committed its offset');
  await seen.waitForCount(9);
  assert.deepEqual(seen.messages.slice(5).map((m) => m.offset), [1, 2, 3, 4]);
});

test('fetchOffsets with and without topics agree, and describeGroups shows Stable, Empty and Dead (scenario 21)', async (t) => {
  const { scope, kafka, topic } = await setup(t, 2);
  const groupId = uniqueName('g');
  await produceValues(scope, kafka, topic, ['a', 'b', 'c', 'd'], 2);
  const admin = await connectedAdmin(scope, kafka);
  const consumer = await connectedConsumer(scope, kafka, groupId);
  const seen = new Collector();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ autoCommit: false, eachMessage: seen.eachMessage });
  await seen.waitForCount(4);
  await consumer.commitOffsets([
    { topic, partition: 0, offset: '2' },
    { topic, partition: 1, offset: '1' },
  ]);

  const running = await admin.describeGroups([groupId]);
  assert.equal(running.groups.length, 1);
  const group = running.groups[0];
  assert.ok(group);
  assert.equal(errorCodeOf(group), 0);
  assert.equal(group.state, 'Stable');
  assert.equal(group.protocolType, 'consumer');
  assert.equal(group.protocol, 'RoundRobinAssigner');
  assert.equal(group.members.length, 1);

  const withTopics = await admin.fetchOffsets({ groupId, topics: [topic] });
  const withoutTopics = await admin.fetchOffsets({ groupId });
  const normalise = (r: typeof withTopics) => r.map((x) => ({ topic: x.topic, partitions: x.partitions.map((p) => [p.partition, p.offset]).sort() }));
  assert.deepEqual(normalise(withTopics), [{ topic, partitions: [[0, '2'], [1, '1']] }]);
  assert.deepEqual(normalise(withoutTopics), normalise(withTopics));

  await consumer.disconnect();
  const stopped = await admin.describeGroups([groupId]);
  assert.equal(stopped.groups[0]?.state, 'Empty');
  assert.equal(stopped.groups[0]?.members.length, 0);

  const unknownId = uniqueName('never');
  const unknown = await admin.describeGroups([unknownId]);
  assert.deepEqual(unknown.groups.map((g) => ({ groupId: g.groupId, errorCode: errorCodeOf(g), state: g.state, members: g.members.length })), [
    { groupId: unknownId, errorCode: 0, state: 'Dead', members: 0 },
  ]);
  const unknownOffsets = await admin.fetchOffsets({ groupId: unknownId, topics: [topic] });
  assert.deepEqual(normalise(unknownOffsets), [{ topic, partitions: [[0, '-1'], [1, '-1']] }]);
});

test('resetOffsets to earliest on a stopped group stores -2 and the consumer restarts from the start (scenario 22)', async (t) => {
  const { scope, kafka, topic } = await setup(t, 1);
  const groupId = uniqueName('g');
  await produceValues(scope, kafka, topic, ['r0', 'r1', 'r2'], 1);
  const admin = await connectedAdmin(scope, kafka);
  const first = await connectedConsumer(scope, kafka, groupId);
  const seen = new Collector();
  await first.subscribe({ topic, fromBeginning: true });
  await first.run({ autoCommit: false, eachMessage: seen.eachMessage });
  await seen.waitForCount(3);
  await first.commitOffsets([{ topic, partition: 0, offset: '3' }]);
  await first.disconnect();

  await admin.resetOffsets({ groupId, topic, earliest: true });
  assert.deepEqual((await admin.fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions.map((p) => p.offset), ['-2']);

  // kafkajs resolves a stored negative offset through the subscription's fromBeginning, so -2
  // means earliest here; without the reset the committed 3 would win over fromBeginning.
  const second = await connectedConsumer(scope, kafka, groupId);
  const again = new Collector();
  await second.subscribe({ topic, fromBeginning: true });
  await second.run({ eachMessage: again.eachMessage });
  await again.waitForCount(3);
  assert.deepEqual(again.messages.map((m) => [m.offset, m.value]), [[0, 'r0'], [1, 'r1'], [2, 'r2']]);
});
