/**
 * Consumer groups with librdkafka (kcat -G) against the embedded broker (spec §6; §10 scenarios
 * 16, 17 and 18): three members sharing three partitions, a member killed with SIGKILL, one
 * leaving cleanly, and a consumer resuming at its committed offsets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChildRun, KCAT, RECORD_FORMAT, assertSucceeded, currentAssignment, explain, kcat, parseRecords, startKcatBroker } from '../helpers/kcat.ts';
import { uniqueName } from '../helpers/kafkajs.ts';
import { waitFor } from '../helpers/wait.ts';

const RUN_TIMEOUT_MS = 20_000;
/** Session timeout of the kcat members: the SIGKILLed member is evicted after this. */
const SESSION_TIMEOUT_MS = 4_000;
/** Every rebalance here must settle within this (a few heartbeats plus the join phase). */
const REBALANCE_TIMEOUT_MS = 15_000;

function memberArgs(bootstrap: string, group: string, topic: string): string[] {
  return [
    '-b',
    bootstrap,
    '-G',
    group,
    topic,
    '-f',
    RECORD_FORMAT,
    // Unbuffered: a test reads a live member's records as they arrive, not at exit.
    '-u',
    '-X',
    'auto.offset.reset=earliest',
    '-X',
    `session.timeout.ms=${SESSION_TIMEOUT_MS}`,
    '-X',
    'heartbeat.interval.ms=250',
    // Sent as JoinGroup's rebalance timeout: bounds a join phase waiting for a slow member.
    '-X',
    'max.poll.interval.ms=8000',
    '-X',
    'auto.commit.interval.ms=500',
    '-d',
    'cgrp',
  ];
}

async function produceTo(bootstrap: string, topic: string, partition: number, values: string[]): Promise<void> {
  assertSucceeded(await kcat(['-b', bootstrap, '-P', '-t', topic, '-p', String(partition)], { stdin: `${values.join('\n')}\n`, timeoutMs: RUN_TIMEOUT_MS }), 'kcat -P');
}

/** Waits until the members' current assignments (one list per member) satisfy `expected`. */
function waitForAssignments(members: ChildRun[], topic: string, expected: (owned: number[][]) => boolean, what: string): Promise<number[][]> {
  const owned = (): number[][] => members.map((m) => currentAssignment(m.stderr(), topic) ?? []);
  return waitFor(() => (expected(owned()) ? owned() : undefined), {
    timeoutMs: REBALANCE_TIMEOUT_MS,
    intervalMs: 50,
    message: () => `${what}; assignments ${JSON.stringify(owned())}\n${members.map((m) => m.describe().slice(-3000)).join('\n====\n')}`,
  });
}

function onePartitionEach(owned: number[][]): boolean {
  return owned.every((p) => p.length === 1) && new Set(owned.flat()).size === owned.length;
}

function covers(owned: number[][], partitions: number[]): boolean {
  const all = owned.flat().sort((a, b) => a - b);
  return JSON.stringify(all) === JSON.stringify(partitions);
}

/** (partition, offset) pairs a member printed. */
function seen(members: ChildRun[]): Set<string> {
  return new Set(members.flatMap((m) => parseRecords(m.stdout()).map((r) => `${r.partition}@${r.offset}`)));
}

function generations(stderr: string): number[] {
  return [...stderr.matchAll(/JoinGroup response: GenerationId (\d+)/g)].map((m) => Number(m[1]));
}

test('three kcat members share three partitions, and survivors take over from a SIGKILLed and a leaving member', async (t) => {
  const bootstrap = await startKcatBroker(t, { defaultPartitions: 3 });
  const topic = uniqueName('kcat-group');
  const group = uniqueName('kcat-group-g');
  for (const p of [0, 1, 2]) await produceTo(bootstrap, topic, p, [`p${p}-a`, `p${p}-b`]);

  // Staggered start: each join rebalances the group and bumps the generation.
  const a = new ChildRun(KCAT, memberArgs(bootstrap, group, topic), { owner: t });
  await waitForAssignments([a], topic, (o) => covers(o, [0, 1, 2]), 'the first member to own all partitions');
  const b = new ChildRun(KCAT, memberArgs(bootstrap, group, topic), { owner: t });
  await waitForAssignments([a, b], topic, (o) => covers(o, [0, 1, 2]) && o.every((p) => p.length > 0), 'two members to split the partitions');
  const c = new ChildRun(KCAT, memberArgs(bootstrap, group, topic), { owner: t });
  await waitForAssignments([a, b, c], topic, onePartitionEach, 'one partition per member');

  // A rejoin inside one rebalance may be answered with the same generation (spec §6), so the
  // first member's generations never decrease and take at least three values.
  const genA = generations(a.stderr());
  assert.ok(new Set(genA).size >= 3, `first member saw generations ${genA.join(',')}`);
  assert.ok(genA.every((g, i) => i === 0 || g >= (genA[i - 1] ?? 0)), `generations went back: ${genA.join(',')}`);
  const genC = generations(c.stderr()).at(-1);
  assert.ok(genC !== undefined && genA.includes(genC), `third member's generation ${String(genC)} not one the first joined: ${genA.join(',')}`);
  // Members already in the group learn of each rebalance through Heartbeat error 27.
  assert.ok(/Heartbeat[^\n]*(REBALANCE_IN_PROGRESS|rebalance in progress)/i.test(a.stderr()), `no REBALANCE_IN_PROGRESS heartbeat\n${a.describe().slice(-3000)}`);

  // Nothing lost across the rebalances: every record reached some member.
  for (const p of [0, 1, 2]) await produceTo(bootstrap, topic, p, [`p${p}-c`]);
  const expected = [0, 1, 2].flatMap((p) => [0, 1, 2].map((o) => `${p}@${o}`));
  await waitForCondition(() => expected.every((k) => seen([a, b, c]).has(k)), `every record consumed; seen ${[...seen([a, b, c])].join(' ')}`);

  // SIGKILL: no LeaveGroup, so the broker evicts the member after its session timeout.
  const killedAt = Date.now();
  const killedPartitions = currentAssignment(c.stderr(), topic) ?? [];
  await c.kill('SIGKILL');
  const afterKill = await waitForAssignments([a, b], topic, (o) => covers(o, [0, 1, 2]), 'the survivors to own all partitions after SIGKILL');
  assert.ok(Date.now() - killedAt >= SESSION_TIMEOUT_MS * 0.5, `rebalanced ${Date.now() - killedAt} ms after SIGKILL, before the session could expire`);
  const heir = afterKill.findIndex((owned) => owned.includes(killedPartitions[0] ?? -1));
  assert.ok(heir >= 0, `nobody took partition ${String(killedPartitions[0])}`);

  await produceTo(bootstrap, topic, killedPartitions[0] ?? 0, ['after-kill']);
  await waitForCondition(
    () => [a, b].some((m) => parseRecords(m.stdout()).some((r) => r.value === 'after-kill')),
    'a survivor to consume from the killed member’s partition',
  );

  // A clean leave (SIGTERM → LeaveGroup) rebalances at once, not after a session timeout.
  const leftAt = Date.now();
  await b.stop();
  await waitForAssignments([a], topic, (o) => covers(o, [0, 1, 2]), 'the last member to own all partitions after a leave');
  assert.ok(Date.now() - leftAt < SESSION_TIMEOUT_MS, `leave took ${Date.now() - leftAt} ms to rebalance (session expiry instead of LeaveGroup?)`);
  await a.stop();
});

test('a kcat group consumer resumes at its committed offsets after a restart', async (t) => {
  const bootstrap = await startKcatBroker(t);
  const topic = uniqueName('kcat-resume');
  const group = uniqueName('kcat-resume-g');
  await produceTo(bootstrap, topic, 0, ['a', 'b', 'c', 'd', 'e']);

  // -e: exit at the end of the assigned partitions; closing commits the consumed offsets.
  const first = assertSucceeded(await kcat([...memberArgs(bootstrap, group, topic), '-e'], { timeoutMs: RUN_TIMEOUT_MS }), 'first kcat -G run');
  assert.deepEqual(
    parseRecords(first.stdout).map((r) => r.value),
    ['a', 'b', 'c', 'd', 'e'],
    explain(first),
  );
  assert.ok(/OffsetCommit|Committed offset|commit/i.test(first.stderr), explain(first));

  await produceTo(bootstrap, topic, 0, ['f', 'g']);
  const second = assertSucceeded(await kcat([...memberArgs(bootstrap, group, topic), '-e'], { timeoutMs: RUN_TIMEOUT_MS }), 'second kcat -G run');
  assert.deepEqual(
    parseRecords(second.stdout).map((r) => [r.offset, r.value]),
    [
      [5, 'f'],
      [6, 'g'],
    ],
    explain(second),
  );
});

function waitForCondition(cond: () => boolean, what: string): Promise<true> {
  return waitFor(() => cond() || undefined, { timeoutMs: REBALANCE_TIMEOUT_MS, intervalMs: 50, message: what });
}
