import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../contracts.ts';
import { GroupCoordinator } from './groups.ts';
import type { JoinGroupInput, JoinGroupResult, OffsetCommitInput, SyncGroupResult } from './groups.ts';
import { FakeClock, tempDir } from './test-support.ts';

const DELAY_MS = 300;

function setup(t: { after(fn: () => void): void }, dir = tempDir(t)) {
  const clock = new FakeClock();
  const open = () => GroupCoordinator.open({ dataDir: dir, clock, initialRebalanceDelayMs: DELAY_MS });
  const gc = open();
  t.after(() => gc.close());
  return { dir, clock, gc, open };
}

const proto = (...names: string[]) => names.map((name) => ({ name, metadata: Buffer.from(`meta-${name}`) }));

function join(gc: GroupCoordinator, fields: Partial<JoinGroupInput> = {}): Promise<JoinGroupResult> {
  return gc.joinGroup({
    groupId: 'g',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 20_000,
    memberId: '',
    protocolType: 'consumer',
    protocols: proto('range'),
    clientId: 'client',
    clientHost: '/127.0.0.1',
    ...fields,
  });
}

/** Resolves to the settled value, or 'pending' if the promise has not settled by the next macrotask. */
async function peek<T>(p: Promise<T>): Promise<T | 'pending'> {
  return Promise.race([p, new Promise<'pending'>((resolve) => setImmediate(() => resolve('pending')))]);
}

async function settled<T>(p: Promise<T>): Promise<T> {
  const v = await peek(p);
  assert.notEqual(v, 'pending', 'expected the request to be answered');
  return v as T;
}

function commit(gc: GroupCoordinator, fields: Partial<OffsetCommitInput>, offsets: Array<[string, number, number, string | null]>) {
  const byTopic = new Map<string, Array<{ partitionIndex: number; committedOffset: number; committedMetadata: string | null }>>();
  for (const [topic, partitionIndex, committedOffset, committedMetadata] of offsets) {
    byTopic.set(topic, [...(byTopic.get(topic) ?? []), { partitionIndex, committedOffset, committedMetadata }]);
  }
  const result = gc.commitOffsets({
    groupId: 'g',
    generationId: -1,
    memberId: '',
    topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
    ...fields,
  });
  return result.topics.flatMap((t) => t.partitions.map((p) => p.errorCode));
}

/** Joins one member into an empty group and brings it to Stable with an assignment. */
async function stableSingle(gc: GroupCoordinator, clock: FakeClock, groupId = 'g') {
  const pending = join(gc, { groupId });
  gc.tick(clock.advance(DELAY_MS));
  const joined = await settled(pending);
  const synced = await settled(gc.syncGroup({ groupId, generationId: joined.generationId, memberId: joined.memberId, assignments: [{ memberId: joined.memberId, assignment: Buffer.from('all') }] }));
  assert.equal(synced.errorCode, 0);
  return joined;
}

test('groups park the first join for the initial rebalance delay, then answer generation 1 with its leader', async (t) => {
  const { gc, clock } = setup(t);
  const pending = join(gc, { clientId: 'app' });
  assert.equal(await peek(pending), 'pending');
  gc.tick(clock.advance(DELAY_MS - 1));
  assert.equal(await peek(pending), 'pending');
  gc.tick(clock.advance(1));
  const joined = await settled(pending);
  assert.equal(joined.errorCode, 0);
  assert.equal(joined.generationId, 1);
  assert.match(joined.memberId, /^app-[0-9a-f-]{36}$/);
  assert.equal(joined.leader, joined.memberId);
  assert.equal(joined.protocolName, 'range');
  assert.deepEqual(joined.members, [{ memberId: joined.memberId, metadata: Buffer.from('meta-range') }]);
  assert.equal(gc.stateOf('g'), 'CompletingRebalance');
});

test('groups take three staggered members through generations 1 to 3 with 27 on heartbeats meanwhile', async (t) => {
  const { gc, clock } = setup(t);
  const a = await stableSingle(gc, clock);
  assert.equal(a.generationId, 1);

  // B joins: the group rebalances; A learns through its heartbeat and rejoins.
  const bJoin = join(gc, { clientId: 'b' });
  assert.equal(gc.stateOf('g'), 'PreparingRebalance');
  assert.equal(gc.heartbeat('g', 1, a.memberId), ErrorCode.REBALANCE_IN_PROGRESS);
  assert.equal(await peek(bJoin), 'pending');
  const aJoin2 = join(gc, { memberId: a.memberId });
  const [a2, b2] = [await settled(aJoin2), await settled(bJoin)];
  assert.equal(a2.generationId, 2);
  assert.equal(b2.generationId, 2);
  assert.equal(a2.leader, a.memberId, 'the old leader stays leader');
  assert.equal(a2.members.length, 2);
  assert.deepEqual(b2.members, [], 'only the leader gets the member list');
  const bSync = gc.syncGroup({ groupId: 'g', generationId: 2, memberId: b2.memberId, assignments: [] });
  assert.equal(await peek(bSync), 'pending', 'a follower waits for the leader');
  assert.equal(gc.heartbeat('g', 2, a.memberId), ErrorCode.NONE);
  const aSync = gc.syncGroup({ groupId: 'g', generationId: 2, memberId: a.memberId, assignments: [{ memberId: a.memberId, assignment: Buffer.from('p0,p1') }, { memberId: b2.memberId, assignment: Buffer.from('p2') }] });
  assert.deepEqual(await settled(aSync), { errorCode: 0, assignment: Buffer.from('p0,p1') });
  assert.deepEqual(await settled(bSync), { errorCode: 0, assignment: Buffer.from('p2') });
  assert.equal(gc.stateOf('g'), 'Stable');

  // C joins: both old members see 27 and rejoin; the phase ends when the last one does.
  const cJoin = join(gc, { clientId: 'c' });
  assert.equal(gc.heartbeat('g', 2, a.memberId), ErrorCode.REBALANCE_IN_PROGRESS);
  assert.equal(gc.heartbeat('g', 2, b2.memberId), ErrorCode.REBALANCE_IN_PROGRESS);
  const aJoin3 = join(gc, { memberId: a.memberId });
  assert.equal(await peek(aJoin3), 'pending');
  const bJoin3 = join(gc, { memberId: b2.memberId });
  const results = [await settled(aJoin3), await settled(bJoin3), await settled(cJoin)];
  assert.deepEqual(results.map((r) => r.generationId), [3, 3, 3]);
  assert.deepEqual(results.map((r) => r.members.length), [3, 0, 0]);
  assert.equal(gc.heartbeat('g', 2, a.memberId), ErrorCode.ILLEGAL_GENERATION);
});

test('groups choose the protocol with the most first-choice votes among those all members support', async (t) => {
  const { gc, clock } = setup(t);
  const joins = [join(gc, { protocols: proto('range', 'roundrobin') }), join(gc, { protocols: proto('roundrobin', 'range') }), join(gc, { protocols: proto('sticky', 'roundrobin', 'range') })];
  gc.tick(clock.advance(DELAY_MS));
  const results = await Promise.all(joins);
  assert.deepEqual(results.map((r) => r.protocolName), ['roundrobin', 'roundrobin', 'roundrobin']);
  const leader = results.find((r) => r.members.length > 0);
  assert.deepEqual(leader?.members.map((m) => m.metadata.toString()), ['meta-roundrobin', 'meta-roundrobin', 'meta-roundrobin']);
});

test('groups answer 23 for another protocol type or no protocol in common', async (t) => {
  const { gc, clock } = setup(t);
  await stableSingle(gc, clock);
  assert.equal((await join(gc, { protocolType: 'connect' })).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  assert.equal((await join(gc, { protocols: proto('roundrobin') })).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  assert.equal((await join(gc, { groupId: 'h', protocols: [] })).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
});

test('groups answer 25 to an unknown member id, 24 to an empty group id and 26 to a bad session timeout', async (t) => {
  const { gc, clock } = setup(t);
  assert.equal((await join(gc, { memberId: 'ghost' })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  await stableSingle(gc, clock);
  assert.equal((await join(gc, { memberId: 'ghost' })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal((await join(gc, { groupId: '' })).errorCode, ErrorCode.INVALID_GROUP_ID);
  assert.equal((await join(gc, { sessionTimeoutMs: 1_800_001 })).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
  assert.equal((await join(gc, { sessionTimeoutMs: 10 })).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
});

test('groups answer an unchanged follower at once but rebalance for a rejoining leader', async (t) => {
  const { gc, clock } = setup(t);
  const joins = [join(gc, { clientId: 'a' }), join(gc, { clientId: 'b' })];
  gc.tick(clock.advance(DELAY_MS));
  const [a, b] = await Promise.all(joins);
  assert.ok(a !== undefined && b !== undefined);
  // CompletingRebalance: any unchanged member gets the current generation at once.
  const again = await settled(join(gc, { memberId: b.memberId }));
  assert.equal(again.generationId, 1);
  const leaderAgain = await settled(join(gc, { memberId: a.memberId }));
  assert.equal(leaderAgain.members.length, 2);
  const bSync = gc.syncGroup({ groupId: 'g', generationId: 1, memberId: b.memberId, assignments: [] });
  await settled(gc.syncGroup({ groupId: 'g', generationId: 1, memberId: a.memberId, assignments: [{ memberId: a.memberId, assignment: Buffer.from('x') }] }));
  assert.deepEqual(await settled(bSync), { errorCode: 0, assignment: Buffer.alloc(0) }, 'a member the leader left out gets empty bytes');
  // Stable: a follower with unchanged protocols is answered at once, with no member list.
  const followerAgain = await settled(join(gc, { memberId: b.memberId }));
  assert.equal(followerAgain.generationId, 1);
  assert.deepEqual(followerAgain.members, []);
  assert.equal(gc.stateOf('g'), 'Stable');
  // A rejoining leader starts a rebalance.
  const leaderRejoin = join(gc, { memberId: a.memberId });
  assert.equal(gc.stateOf('g'), 'PreparingRebalance');
  const bRejoin = join(gc, { memberId: b.memberId });
  assert.equal((await settled(leaderRejoin)).generationId, 2);
  assert.equal((await settled(bRejoin)).generationId, 2);
});

test('groups answer sync with 25, 22 and 27, and return the stored assignment when Stable', async (t) => {
  const { gc, clock } = setup(t);
  const a = await stableSingle(gc, clock);
  const sync = (generationId: number, memberId: string): Promise<SyncGroupResult> => gc.syncGroup({ groupId: 'g', generationId, memberId, assignments: [] });
  assert.equal((await sync(1, 'ghost')).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal((await gc.syncGroup({ groupId: 'nope', generationId: 1, memberId: a.memberId, assignments: [] })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal((await sync(7, a.memberId)).errorCode, ErrorCode.ILLEGAL_GENERATION);
  assert.deepEqual(await sync(1, a.memberId), { errorCode: 0, assignment: Buffer.from('all') });
  const bJoin = join(gc);
  assert.equal((await sync(1, a.memberId)).errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
  void bJoin;
});

test('groups release a parked sync with 27 when a rebalance starts before the leader syncs', async (t) => {
  const { gc, clock } = setup(t);
  const joins = [join(gc, { clientId: 'a' }), join(gc, { clientId: 'b' })];
  gc.tick(clock.advance(DELAY_MS));
  const [, b] = await Promise.all(joins);
  assert.ok(b !== undefined);
  const bSync = gc.syncGroup({ groupId: 'g', generationId: 1, memberId: b.memberId, assignments: [] });
  assert.equal(await peek(bSync), 'pending');
  void join(gc, { clientId: 'c' });
  assert.equal((await settled(bSync)).errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
});

test('groups answer heartbeats with 25 for unknown groups, members and Empty groups, and 22 for another generation', async (t) => {
  const { gc, clock } = setup(t);
  assert.equal(gc.heartbeat('nope', 1, 'x'), ErrorCode.UNKNOWN_MEMBER_ID);
  const a = await stableSingle(gc, clock);
  assert.equal(gc.heartbeat('g', 1, 'ghost'), ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(gc.heartbeat('g', 0, a.memberId), ErrorCode.ILLEGAL_GENERATION);
  assert.equal(gc.heartbeat('g', 1, a.memberId), ErrorCode.NONE);
  assert.equal(gc.leaveGroup('g', a.memberId), ErrorCode.NONE);
  assert.equal(gc.stateOf('g'), 'Empty');
  assert.equal(gc.heartbeat('g', 2, a.memberId), ErrorCode.UNKNOWN_MEMBER_ID);
});

test('groups evict a silent member after its session timeout and rebalance the survivor', async (t) => {
  const { gc, clock } = setup(t);
  const joins = [join(gc, { clientId: 'a', sessionTimeoutMs: 10_000 }), join(gc, { clientId: 'b', sessionTimeoutMs: 10_000 })];
  gc.tick(clock.advance(DELAY_MS));
  const [a, b] = await Promise.all(joins);
  assert.ok(a !== undefined && b !== undefined);
  const bSync = gc.syncGroup({ groupId: 'g', generationId: 1, memberId: b.memberId, assignments: [] });
  await settled(gc.syncGroup({ groupId: 'g', generationId: 1, memberId: a.memberId, assignments: [] }));
  await settled(bSync);
  // A keeps heartbeating, B goes silent.
  for (let i = 0; i < 3; i += 1) {
    gc.tick(clock.advance(3_000));
    assert.equal(gc.heartbeat('g', 1, a.memberId), ErrorCode.NONE);
  }
  gc.tick(clock.advance(1_000)); // B last seen exactly 10 s ago: still a member
  assert.equal(gc.stateOf('g'), 'Stable');
  assert.equal(gc.heartbeat('g', 1, a.memberId), ErrorCode.NONE);
  gc.tick(clock.advance(1));
  assert.equal(gc.stateOf('g'), 'PreparingRebalance');
  assert.equal(gc.heartbeat('g', 1, b.memberId), ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(gc.heartbeat('g', 1, a.memberId), ErrorCode.REBALANCE_IN_PROGRESS);
  const alone = await settled(join(gc, { memberId: a.memberId }));
  assert.equal(alone.generationId, 2);
  assert.deepEqual(alone.members.map((m) => m.memberId), [a.memberId]);
});

test('groups drop members that do not rejoin within the rebalance timeout', async (t) => {
  const { gc, clock } = setup(t);
  const joins = [join(gc, { clientId: 'a', rebalanceTimeoutMs: 5_000, sessionTimeoutMs: 60_000 }), join(gc, { clientId: 'b', rebalanceTimeoutMs: 5_000, sessionTimeoutMs: 60_000 })];
  gc.tick(clock.advance(DELAY_MS));
  const [a, b] = await Promise.all(joins);
  assert.ok(a !== undefined && b !== undefined);
  const bSync = gc.syncGroup({ groupId: 'g', generationId: 1, memberId: b.memberId, assignments: [] });
  await settled(gc.syncGroup({ groupId: 'g', generationId: 1, memberId: a.memberId, assignments: [] }));
  await settled(bSync);
  // The leader rejoins (a rebalance); B never does.
  const aRejoin = join(gc, { memberId: a.memberId, rebalanceTimeoutMs: 5_000, sessionTimeoutMs: 60_000 });
  gc.tick(clock.advance(4_999));
  assert.equal(await peek(aRejoin), 'pending');
  gc.tick(clock.advance(1));
  const result = await settled(aRejoin);
  assert.equal(result.generationId, 2);
  assert.deepEqual(result.members.map((m) => m.memberId), [a.memberId]);
  assert.equal(gc.heartbeat('g', 2, b.memberId), ErrorCode.UNKNOWN_MEMBER_ID);
});

test('groups rebalance when a member leaves and go Empty when the last one does', async (t) => {
  const { gc, clock } = setup(t);
  assert.equal(gc.leaveGroup('g', 'x'), ErrorCode.UNKNOWN_MEMBER_ID);
  const joins = [join(gc, { clientId: 'a' }), join(gc, { clientId: 'b' })];
  gc.tick(clock.advance(DELAY_MS));
  const [a, b] = await Promise.all(joins);
  assert.ok(a !== undefined && b !== undefined);
  assert.equal(gc.leaveGroup('g', 'ghost'), ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(gc.leaveGroup('g', a.memberId), ErrorCode.NONE);
  assert.equal(gc.stateOf('g'), 'PreparingRebalance');
  const bAlone = await settled(join(gc, { memberId: b.memberId }));
  assert.equal(bAlone.leader, b.memberId, 'a new leader replaces the one that left');
  assert.equal(gc.leaveGroup('g', b.memberId), ErrorCode.NONE);
  assert.equal(gc.stateOf('g'), 'Empty');
  assert.equal(gc.describeGroups(['g'])[0]?.groupState, 'Empty');
});

test('groups store commits verbatim, negatives included, under the admin and member rules', async (t) => {
  const { gc, clock } = setup(t);
  assert.deepEqual(commit(gc, { groupId: 'unknown', generationId: 1, memberId: 'm' }, [['t', 0, 5, null]]), [ErrorCode.ILLEGAL_GENERATION]);
  // No group and generation < 0: the group is created Empty and the offsets stored.
  assert.deepEqual(commit(gc, {}, [['t', 0, -2, null], ['t', 1, -1, 'meta']]), [0, 0]);
  assert.equal(gc.describeGroups(['g'])[0]?.groupState, 'Empty');
  const fetched = gc.fetchOffsets('g', [{ name: 't', partitionIndexes: [0, 1, 2] }]);
  assert.deepEqual(fetched.topics[0]?.partitions, [
    { partitionIndex: 0, committedOffset: -2, metadata: '', errorCode: 0 },
    { partitionIndex: 1, committedOffset: -1, metadata: 'meta', errorCode: 0 },
    { partitionIndex: 2, committedOffset: -1, metadata: '', errorCode: 0 },
  ]);
  const a = await stableSingle(gc, clock);
  // A group with members: generation -1 and no member id is not an admin commit any more.
  assert.deepEqual(commit(gc, {}, [['t', 0, 1, null]]), [ErrorCode.UNKNOWN_MEMBER_ID]);
  assert.deepEqual(commit(gc, { generationId: 1, memberId: 'ghost' }, [['t', 0, 1, null]]), [ErrorCode.UNKNOWN_MEMBER_ID]);
  assert.deepEqual(commit(gc, { generationId: 9, memberId: a.memberId }, [['t', 0, 1, null]]), [ErrorCode.ILLEGAL_GENERATION]);
  assert.deepEqual(commit(gc, { generationId: 1, memberId: a.memberId }, [['t', 0, 10, null]]), [0]);
  // PreparingRebalance still stores (kafkajs commits when it sees 27).
  const bJoin = join(gc, { clientId: 'b' });
  assert.deepEqual(commit(gc, { generationId: 1, memberId: a.memberId }, [['t', 0, 11, null]]), [0]);
  const aJoin = join(gc, { memberId: a.memberId });
  await settled(aJoin);
  await settled(bJoin);
  assert.equal(gc.stateOf('g'), 'CompletingRebalance');
  assert.deepEqual(commit(gc, { generationId: 2, memberId: a.memberId }, [['t', 0, 12, null]]), [ErrorCode.REBALANCE_IN_PROGRESS]);
  assert.equal(gc.fetchOffsets('g', [{ name: 't', partitionIndexes: [0] }]).topics[0]?.partitions[0]?.committedOffset, 11);
  assert.deepEqual(commit(gc, { groupId: 'h' }, [['t', 0, 1, 'x'.repeat(4097)]]), [ErrorCode.OFFSET_METADATA_TOO_LARGE]);
});

test('groups fetch every committed partition for null topics and nothing for an unknown group', (t) => {
  const { gc } = setup(t);
  commit(gc, {}, [['b', 1, 7, null], ['a', 0, 3, 'x'], ['b', 0, 6, null]]);
  assert.deepEqual(gc.fetchOffsets('g', null), {
    errorCode: 0,
    topics: [
      { name: 'b', partitions: [{ partitionIndex: 0, committedOffset: 6, metadata: '', errorCode: 0 }, { partitionIndex: 1, committedOffset: 7, metadata: '', errorCode: 0 }] },
      { name: 'a', partitions: [{ partitionIndex: 0, committedOffset: 3, metadata: 'x', errorCode: 0 }] },
    ],
  });
  assert.deepEqual(gc.fetchOffsets('nope', null), { errorCode: 0, topics: [] });
  assert.deepEqual(gc.fetchOffsets('nope', [{ name: 'a', partitionIndexes: [0] }]).topics[0]?.partitions, [{ partitionIndex: 0, committedOffset: -1, metadata: '', errorCode: 0 }]);
});

test('groups describe unknown groups as Dead and Stable ones with protocol and assignments', async (t) => {
  const { gc, clock } = setup(t);
  assert.deepEqual(gc.describeGroups(['nope']), [{ errorCode: 0, groupId: 'nope', groupState: 'Dead', protocolType: '', protocolData: '', members: [] }]);
  const pending = join(gc, { clientId: 'app', clientHost: '/10.0.0.1' });
  const preparing = gc.describeGroups(['g'])[0];
  assert.equal(preparing?.groupState, 'PreparingRebalance');
  assert.equal(preparing?.protocolData, '');
  assert.deepEqual(preparing?.members[0]?.memberMetadata, Buffer.alloc(0));
  gc.tick(clock.advance(DELAY_MS));
  const a = await settled(pending);
  await settled(gc.syncGroup({ groupId: 'g', generationId: 1, memberId: a.memberId, assignments: [{ memberId: a.memberId, assignment: Buffer.from('asg') }] }));
  assert.deepEqual(gc.describeGroups(['g']), [
    {
      errorCode: 0,
      groupId: 'g',
      groupState: 'Stable',
      protocolType: 'consumer',
      protocolData: 'range',
      members: [{ memberId: a.memberId, clientId: 'app', clientHost: '/10.0.0.1', memberMetadata: Buffer.from('meta-range'), memberAssignment: Buffer.from('asg') }],
    },
  ]);
  commit(gc, { groupId: 'offsets-only' }, [['t', 0, 1, null]]);
  assert.deepEqual(gc.listGroups(), { errorCode: 0, groups: [{ groupId: 'offsets-only', protocolType: '' }, { groupId: 'g', protocolType: 'consumer' }] });
});

test('groups keep transactional offsets invisible until the transaction commits', (t) => {
  const { gc } = setup(t);
  commit(gc, {}, [['t', 0, 1, null]]);
  assert.equal(gc.stageTxnOffsets('g', 7, [{ topic: 't', partition: 0, offset: 50, metadata: null }, { topic: 't', partition: 1, offset: 60, metadata: 'm' }]), 0);
  assert.equal(gc.stageTxnOffsets('g', 8, [{ topic: 't', partition: 0, offset: 99, metadata: null }]), 0);
  const read = () => gc.fetchOffsets('g', [{ name: 't', partitionIndexes: [0, 1] }]).topics[0]?.partitions.map((p) => p.committedOffset);
  assert.deepEqual(read(), [1, -1]);
  gc.completeTxnOffsets('g', 8, false);
  gc.completeTxnOffsets('g', 7, true);
  assert.deepEqual(read(), [50, 60]);
  gc.completeTxnOffsets('g', 7, true); // a retried completion changes nothing
  assert.deepEqual(read(), [50, 60]);
  assert.equal(gc.stageTxnOffsets('', 7, []), ErrorCode.INVALID_GROUP_ID);
});

test('groups keep committed and staged offsets across a restart but not memberships', async (t) => {
  const { gc, clock, open } = setup(t);
  const a = await stableSingle(gc, clock);
  commit(gc, { generationId: 1, memberId: a.memberId }, [['t', 0, 42, 'm']]);
  gc.stageTxnOffsets('g', 5, [{ topic: 't', partition: 1, offset: 9, metadata: null }]);
  gc.close();
  const again = open();
  t.after(() => again.close());
  assert.equal(again.fetchOffsets('g', [{ name: 't', partitionIndexes: [0] }]).topics[0]?.partitions[0]?.committedOffset, 42);
  assert.equal(again.describeGroups(['g'])[0]?.groupState, 'Empty');
  assert.equal(again.heartbeat('g', 1, a.memberId), ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal((await join(again, { memberId: a.memberId })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  again.completeTxnOffsets('g', 5, true);
  assert.equal(again.fetchOffsets('g', [{ name: 't', partitionIndexes: [1] }]).topics[0]?.partitions[0]?.committedOffset, 9);
});

test('groups drop the offsets of a deleted topic, also after a restart', (t) => {
  const { gc, open } = setup(t);
  commit(gc, {}, [['gone', 0, 1, null], ['kept', 0, 2, null]]);
  gc.stageTxnOffsets('g', 5, [{ topic: 'gone', partition: 1, offset: 9, metadata: null }]);
  gc.deleteTopic('gone');
  assert.deepEqual(gc.fetchOffsets('g', null).topics.map((x) => x.name), ['kept']);
  gc.completeTxnOffsets('g', 5, true);
  assert.deepEqual(gc.fetchOffsets('g', null).topics.map((x) => x.name), ['kept']);
  gc.close();
  const again = open();
  t.after(() => again.close());
  assert.deepEqual(again.fetchOffsets('g', null).topics.map((x) => x.name), ['kept']);
});

test('groups answer parked requests with 15 when closed', async (t) => {
  const { gc } = setup(t);
  const pending = join(gc);
  gc.close();
  assert.equal((await settled(pending)).errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
});

test('groups extend the initial rebalance delay for each newcomer, within the rebalance timeout', async (t) => {
  const { gc, clock } = setup(t);
  const a = join(gc, { clientId: 'a', rebalanceTimeoutMs: 1_000 });
  gc.tick(clock.advance(200));
  const b = join(gc, { clientId: 'b', rebalanceTimeoutMs: 1_000 });
  gc.tick(clock.advance(200)); // 400 ms after the first join: past its own delay, not b's
  assert.equal(await peek(a), 'pending');
  gc.tick(clock.advance(100));
  const [ra, rb] = [await settled(a), await settled(b)];
  assert.equal(ra.generationId, 1);
  assert.equal(rb.generationId, 1);
  assert.equal(ra.members.length + rb.members.length, 2);
});
