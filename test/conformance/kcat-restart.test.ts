/**
 * librdkafka clients across a broker crash: the broker runs as a child process and is SIGKILLed
 * and restarted on the same data directory and port. What kcat acknowledged (data, transaction
 * markers, group offsets, producer state) must be there after the restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { spawnBroker } from '../helpers/broker-process.ts';
import { ChildRun, LIBRDKAFKA_PROGRAMS_DIR, RECORD_FORMAT, assertSucceeded, compileC, endOffsets, explain, grepLines, kcat, parseRecords } from '../helpers/kcat.ts';
import { uniqueName } from '../helpers/kafkajs.ts';
import { tempDir, waitFor } from '../helpers/wait.ts';

const RUN_TIMEOUT_MS = 20_000;
/** Fast group and transaction timings for the child broker. */
const BROKER_ARGS = ['--group-initial-rebalance-delay-ms', '100', '--transaction-check-interval-ms', '200', '--log-level', 'warn'];
const GROUP_OPTIONS = ['session.timeout.ms=6000', 'heartbeat.interval.ms=300', 'max.poll.interval.ms=10000'].flatMap((o) => ['-X', o]);

async function readCommitted(bootstrap: string, topic: string) {
  const result = assertSucceeded(
    await kcat(['-b', bootstrap, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-X', 'isolation.level=read_committed', '-X', 'check.crcs=true', '-f', RECORD_FORMAT], {
      timeoutMs: RUN_TIMEOUT_MS,
    }),
    'kcat -C read_committed',
  );
  return { records: parseRecords(result.stdout), end: endOffsets(result.stderr, topic).get(0), result };
}

function groupRead(bootstrap: string, group: string, topic: string) {
  return kcat(['-b', bootstrap, '-G', group, topic, '-e', '-f', RECORD_FORMAT, '-X', 'auto.offset.reset=earliest', ...GROUP_OPTIONS], { timeoutMs: RUN_TIMEOUT_MS });
}

test('after a SIGKILL and restart kcat reads acknowledged data and markers back, and a group resumes at its committed offsets', async (t) => {
  const dir = tempDir('kcat-restart', t);
  const broker = await spawnBroker({ dataDir: dir.path, extraArgs: BROKER_ARGS, owner: t });
  const topic = uniqueName('restart');
  const group = uniqueName('restart-g');
  const txnId = uniqueName('restart-txn');

  assertSucceeded(await kcat(['-b', broker.bootstrap, '-P', '-t', topic, '-p', '0', '-X', 'enable.idempotence=true'], { stdin: 'a\nb\nc\n', timeoutMs: RUN_TIMEOUT_MS }), 'kcat -P idempotent');
  assertSucceeded(await kcat(['-b', broker.bootstrap, '-P', '-t', topic, '-p', '0', '-X', `transactional.id=${txnId}`], { stdin: 'd\ne\n', timeoutMs: RUN_TIMEOUT_MS }), 'kcat -P transactional');
  const first = assertSucceeded(await groupRead(broker.bootstrap, group, topic), 'first kcat -G');
  assert.deepEqual(
    parseRecords(first.stdout).map((r) => r.value),
    ['a', 'b', 'c', 'd', 'e'],
    explain(first),
  );

  await broker.kill('SIGKILL');
  await broker.start();

  const after = await readCommitted(broker.bootstrap, topic);
  assert.deepEqual(
    after.records.map((r) => [r.offset, r.value]),
    [
      [0, 'a'],
      [1, 'b'],
      [2, 'c'],
      [3, 'd'],
      [4, 'e'],
    ],
    explain(after.result),
  );
  assert.equal(after.end, 6, 'the COMMIT marker at offset 5 survived');
  assert.deepEqual(grepLines(after.result.stderr, /failed CRC|Bad message format/), []);

  // New producers work on the restarted broker: a fresh idempotent one and the same transactional id again.
  assertSucceeded(await kcat(['-b', broker.bootstrap, '-P', '-t', topic, '-p', '0', '-X', 'enable.idempotence=true'], { stdin: 'f\n', timeoutMs: RUN_TIMEOUT_MS }), 'kcat -P idempotent after restart');
  assertSucceeded(await kcat(['-b', broker.bootstrap, '-P', '-t', topic, '-p', '0', '-X', `transactional.id=${txnId}`], { stdin: 'g\n', timeoutMs: RUN_TIMEOUT_MS }), 'kcat -P transactional after restart');

  const resumed = assertSucceeded(await groupRead(broker.bootstrap, group, topic), 'kcat -G after restart');
  assert.deepEqual(
    parseRecords(resumed.stdout).map((r) => [r.offset, r.value]),
    [
      [6, 'f'],
      [7, 'g'],
    ],
    `the group must resume after its committed offset 6\n${explain(resumed)}`,
  );
});

test('a transaction left open by a broker crash is aborted by its timeout after the restart, fencing its producer', async (t) => {
  const dir = tempDir('kcat-restart-txn', t);
  const broker = await spawnBroker({ dataDir: dir.path, extraArgs: BROKER_ARGS, owner: t });
  const topic = uniqueName('restart-open');
  assertSucceeded(await kcat(['-b', broker.bootstrap, '-P', '-t', topic, '-p', '0'], { stdin: 'create\n', timeoutMs: RUN_TIMEOUT_MS }), 'kcat -P (create)');

  const program = await compileC(join(LIBRDKAFKA_PROGRAMS_DIR, 'txn-fence.c'));
  const holder = new ChildRun(program, [broker.bootstrap, topic, uniqueName('restart-open-txn'), 'hold', 'transaction.timeout.ms=3000'], { owner: t });
  await holder.waitFor((out) => out.includes('{"stage":"open"}'), RUN_TIMEOUT_MS, 'the transaction to be open');

  await broker.kill('SIGKILL');
  await broker.start();

  // After the restart the open transaction still holds the LSO, until its timeout aborts it.
  const aborted = await waitFor(
    async () => {
      const read = await readCommitted(broker.bootstrap, topic);
      return read.end === 3 ? read : undefined;
    },
    { timeoutMs: 15_000, intervalMs: 250, message: 'the restarted broker to abort the open transaction (ABORT marker at offset 2)' },
  );
  assert.deepEqual(
    aborted.records.map((r) => r.value),
    ['create'],
  );

  holder.send('go\n');
  await holder.exit(RUN_TIMEOUT_MS);
  const outcome = JSON.parse(holder.stdout().trim().split('\n').at(-1) ?? '') as { commit: string; fatal: boolean };
  assert.notEqual(outcome.commit, 'ok', holder.describe());
});
