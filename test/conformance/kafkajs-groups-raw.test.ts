/**
 * Group coordinator rules of the broker spec (§6, scenario 16) seen through raw JoinGroup,
 * SyncGroup, Heartbeat, LeaveGroup, OffsetCommit and OffsetFetch requests: the generations,
 * leaders and error codes that kafkajs handles without showing them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RawConnection, heartbeat, joinGroup, leaveGroup, metadata, offsetCommit, offsetFetch, syncGroup } from '../helpers/raw-client.ts';
import { Scope, startTestBroker, uniqueName } from '../helpers/kafkajs.ts';
import { waitFor, type TestOwner } from '../helpers/wait.ts';

async function connections(t: TestOwner, count: number): Promise<{ conns: RawConnection[]; bootstrap: string }> {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope);
  const conns: RawConnection[] = [];
  for (let i = 0; i < count; i += 1) conns.push(await RawConnection.fromBootstrap(bootstrap));
  scope.defer('close raw connections', () => {
    for (const c of conns) c.close();
  });
  return { conns, bootstrap };
}

test('raw members see generations advance, Heartbeat and SyncGroup get 27 while a rebalance is pending, and a stale generation gets 22 (scenario 16)', async (t) => {
  const { conns } = await connections(t, 2);
  const [a, b] = conns as [RawConnection, RawConnection];
  const groupId = uniqueName('raw-g');
  const first = await joinGroup(a, groupId, '');
  assert.equal(first.errorCode, 0);
  assert.equal(first.generationId, 1);
  assert.equal(first.leaderId, first.memberId, 'the only member leads');
  assert.deepEqual(first.members.map((m) => m.memberId), [first.memberId]);
  assert.equal(first.protocolName, 'range');
  assert.equal((await syncGroup(a, groupId, 1, first.memberId, [{ memberId: first.memberId, assignment: Buffer.from('A1') }])).errorCode, 0);
  assert.equal(await heartbeat(a, groupId, 1, first.memberId), 0);

  const joiningB = joinGroup(b, groupId, '');
  await waitFor(async () => (await heartbeat(a, groupId, 1, first.memberId)) === 27, {
    timeoutMs: 5_000,
    message: 'Heartbeat of the stable member to return 27 once a new member joins',
  });
  assert.equal((await syncGroup(a, groupId, 1, first.memberId, [])).errorCode, 27, 'SyncGroup while a rebalance is pending');
  const rejoinA = await joinGroup(a, groupId, first.memberId);
  const joinedB = await joiningB;
  assert.equal(rejoinA.errorCode, 0);
  assert.equal(joinedB.errorCode, 0);
  assert.equal(rejoinA.generationId, 2);
  assert.equal(joinedB.generationId, 2);
  assert.equal(rejoinA.leaderId, first.memberId, 'the old leader stays leader');
  assert.equal(joinedB.members.length, 0, 'followers get no member list');
  assert.deepEqual(rejoinA.members.map((m) => m.memberId).sort(), [first.memberId, joinedB.memberId].sort());

  assert.equal(await heartbeat(a, groupId, 1, first.memberId), 22, 'stale generation');
  assert.equal(await heartbeat(a, groupId, 2, 'nobody'), 25, 'unknown member');
  const followerSync = syncGroup(b, groupId, 2, joinedB.memberId, []);
  const leaderSync = await syncGroup(a, groupId, 2, first.memberId, [
    { memberId: first.memberId, assignment: Buffer.from('A2') },
    { memberId: joinedB.memberId, assignment: Buffer.from('B2') },
  ]);
  assert.deepEqual({ errorCode: leaderSync.errorCode, assignment: leaderSync.assignment.toString() }, { errorCode: 0, assignment: 'A2' });
  const follower = await followerSync;
  assert.deepEqual({ errorCode: follower.errorCode, assignment: follower.assignment.toString() }, { errorCode: 0, assignment: 'B2' });

  assert.equal(await leaveGroup(b, groupId, joinedB.memberId), 0);
  await waitFor(async () => (await heartbeat(a, groupId, 2, first.memberId)) === 27, { timeoutMs: 5_000, message: 'heartbeat 27 after a member left' });
  const third = await joinGroup(a, groupId, first.memberId);
  assert.equal(third.generationId, 3);
  assert.deepEqual(third.members.map((m) => m.memberId), [first.memberId]);
});

test('JoinGroup with another protocol type or no protocol in common gets 23, and an unknown member id 25 (spec §6)', async (t) => {
  const { conns } = await connections(t, 2);
  const [a, b] = conns as [RawConnection, RawConnection];
  const groupId = uniqueName('proto');
  const first = await joinGroup(a, groupId, '', { protocols: [{ name: 'range', metadata: Buffer.alloc(0) }] });
  assert.equal(first.errorCode, 0);
  assert.equal((await joinGroup(b, groupId, '', { protocolType: 'connect' })).errorCode, 23);
  assert.equal((await joinGroup(b, groupId, '', { protocols: [{ name: 'roundrobin', metadata: Buffer.alloc(0) }] })).errorCode, 23);
  assert.equal((await joinGroup(b, groupId, 'not-a-member')).errorCode, 25);
  assert.equal((await syncGroup(a, groupId, first.generationId, first.memberId, [{ memberId: first.memberId, assignment: Buffer.alloc(0) }])).errorCode, 0);
  assert.equal((await syncGroup(b, groupId, first.generationId, 'not-a-member', [])).errorCode, 25);
  assert.equal(await leaveGroup(b, groupId, 'not-a-member'), 25);
});

test('the most voted common protocol wins, and only the leader gets the member list (spec §6)', async (t) => {
  const { conns } = await connections(t, 3);
  const groupId = uniqueName('vote');
  const p = (...names: string[]) => names.map((name) => ({ name, metadata: Buffer.from(name) }));
  const joins = await Promise.all([
    joinGroup(conns[0] as RawConnection, groupId, '', { protocols: p('range', 'roundrobin') }),
    joinGroup(conns[1] as RawConnection, groupId, '', { protocols: p('roundrobin', 'range') }),
    joinGroup(conns[2] as RawConnection, groupId, '', { protocols: p('roundrobin', 'range') }),
  ]);
  assert.deepEqual(joins.map((j) => j.errorCode), [0, 0, 0]);
  assert.deepEqual(new Set(joins.map((j) => j.protocolName)), new Set(['roundrobin']));
  assert.equal(new Set(joins.map((j) => j.generationId)).size, 1);
  const leaders = joins.filter((j) => j.memberId === j.leaderId);
  assert.equal(leaders.length, 1);
  assert.equal(leaders[0]?.members.length, 3);
  assert.ok(leaders[0]?.members.every((m) => m.metadata.toString() === 'roundrobin'), 'member metadata is that of the chosen protocol');
  assert.deepEqual(joins.filter((j) => j.memberId !== j.leaderId).map((j) => j.members.length), [0, 0]);
});

test('OffsetCommit stores negative offsets verbatim for a group without members, and OffsetFetch answers unknown groups with -1 (spec §6)', async (t) => {
  const { conns } = await connections(t, 1);
  const conn = conns[0] as RawConnection;
  const topic = uniqueName('offsets');
  await metadata(conn, [topic], true);
  const groupId = uniqueName('standalone');
  const committed = await offsetCommit(conn, groupId, -1, '', [
    { topic, partition: 0, offset: -2, metadata: 'reset' },
    { topic, partition: 1, offset: 42, metadata: null },
  ]);
  assert.deepEqual(Object.fromEntries(committed), { [`${topic}:0`]: 0, [`${topic}:1`]: 0 });

  const all = await offsetFetch(conn, groupId, null);
  assert.equal(all.errorCode, 0);
  assert.deepEqual(
    all.offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset, errorCode: o.errorCode })).sort((x, y) => x.partition - y.partition),
    [
      { topic, partition: 0, offset: -2, errorCode: 0 },
      { topic, partition: 1, offset: 42, errorCode: 0 },
    ],
  );
  assert.equal(all.offsets.find((o) => o.partition === 0)?.metadata, 'reset');

  const unknown = await offsetFetch(conn, uniqueName('unknown'), [{ topic, partitions: [0] }]);
  assert.equal(unknown.errorCode, 0);
  assert.deepEqual(unknown.offsets.map((o) => ({ offset: o.offset, errorCode: o.errorCode })), [{ offset: -1, errorCode: 0 }]);
});

test('OffsetCommit to a group with members needs a member id and the current generation (spec §6)', async (t) => {
  const { conns } = await connections(t, 1);
  const conn = conns[0] as RawConnection;
  const topic = uniqueName('offsets');
  await metadata(conn, [topic], true);
  const groupId = uniqueName('g');
  const joined = await joinGroup(conn, groupId, '');
  assert.equal((await syncGroup(conn, groupId, joined.generationId, joined.memberId, [{ memberId: joined.memberId, assignment: Buffer.alloc(0) }])).errorCode, 0);
  const entry = [{ topic, partition: 0, offset: 5 }];
  assert.equal((await offsetCommit(conn, groupId, -1, '', entry)).get(`${topic}:0`), 25, 'non-member commit to a group with members');
  assert.equal((await offsetCommit(conn, groupId, joined.generationId + 1, joined.memberId, entry)).get(`${topic}:0`), 22, 'wrong generation');
  assert.equal((await offsetCommit(conn, groupId, joined.generationId, 'someone-else', entry)).get(`${topic}:0`), 25, 'unknown member');
  assert.equal((await offsetCommit(conn, groupId, joined.generationId, joined.memberId, entry)).get(`${topic}:0`), 0);
  assert.equal((await offsetFetch(conn, groupId, [{ topic, partitions: [0] }])).offsets[0]?.offset, 5);
});
