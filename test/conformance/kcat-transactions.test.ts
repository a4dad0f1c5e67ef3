/**
 * Transactions with librdkafka against the embedded broker (spec §5, §7; §10 scenarios 9–15):
 * kcat's transactional producer, eos.c (consume → transform → produce → send offsets → commit
 * or abort) and txn-fence.c (an open transaction held, fenced or timed out).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ChildRun,
  RECORD_FORMAT,
  assertSucceeded,
  compileC,
  endOffsets,
  explain,
  grepLines,
  kcat,
  LIBRDKAFKA_PROGRAMS_DIR,
  parseRecords,
  protocolLines,
  runProgram,
  startKcatBroker,
  type KcatRecord,
} from '../helpers/kcat.ts';
import { newKafka, uniqueName } from '../helpers/kafkajs.ts';
import { waitFor } from '../helpers/wait.ts';
import { join } from 'node:path';

const RUN_TIMEOUT_MS = 20_000;
/** eos.c joins a group (initial rebalance delay, then sync) before it reads; allow for that. */
const EOS_TIMEOUT_MS = 40_000;
/** Fast group timings for eos.c's consumer and kcat -G. */
const GROUP_OPTIONS = ['session.timeout.ms=6000', 'heartbeat.interval.ms=300', 'max.poll.interval.ms=10000'];

type Isolation = 'read_committed' | 'read_uncommitted';

interface ReadResult {
  records: KcatRecord[];
  /** Offset at which kcat saw the end of partition 0: the LSO (read_committed) or HW. */
  end: number | undefined;
  stderr: string;
}

async function readAll(bootstrap: string, topic: string, isolation: Isolation, extra: string[] = []): Promise<ReadResult> {
  const result = assertSucceeded(
    await kcat(['-b', bootstrap, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-X', `isolation.level=${isolation}`, '-f', RECORD_FORMAT, ...extra], {
      timeoutMs: RUN_TIMEOUT_MS,
    }),
    `kcat -C ${isolation}`,
  );
  return { records: parseRecords(result.stdout), end: endOffsets(result.stderr, topic).get(0), stderr: result.stderr };
}

async function produce(bootstrap: string, topic: string, lines: string[], extra: string[] = []): Promise<void> {
  assertSucceeded(await kcat(['-b', bootstrap, '-P', '-t', topic, '-p', '0', '-K', ':', ...extra], { stdin: `${lines.join('\n')}\n`, timeoutMs: RUN_TIMEOUT_MS }), 'kcat -P');
}

function eos(bootstrap: string, input: string, output: string, group: string, txnId: string, count: number, mode: 'commit' | 'abort') {
  return runProgram('eos', [bootstrap, input, output, group, txnId, String(count), mode, ...GROUP_OPTIONS], { timeoutMs: EOS_TIMEOUT_MS });
}

test('a transactional kcat producer commits: data plus a COMMIT marker, visible under read_committed, end = last + 2', async (t) => {
  const bootstrap = await startKcatBroker(t);
  const topic = uniqueName('kcat-txn');
  const produced = assertSucceeded(
    await kcat(['-b', bootstrap, '-P', '-t', topic, '-X', `transactional.id=${uniqueName('kcat-txn-id')}`, '-d', 'protocol'], {
      stdin: 'a\nb\nc\n',
      timeoutMs: RUN_TIMEOUT_MS,
    }),
    'kcat -P transactional',
  );
  const sent = protocolLines(produced.stderr).filter((l) => l.direction === 'sent');
  const versions = new Map(sent.map((l) => [l.api, l.version]));
  for (const [api, version] of [
    ['FindCoordinator', 1],
    ['InitProducerId', 0],
    ['AddPartitionsToTxn', 0],
    ['Produce', 3],
    ['EndTxn', 0],
  ] as const) {
    assert.equal(versions.get(api), version, `${api} version\n${explain(produced)}`);
  }

  const committed = await readAll(bootstrap, topic, 'read_committed');
  assert.deepEqual(
    committed.records.map((r) => [r.offset, r.value]),
    [
      [0, 'a'],
      [1, 'b'],
      [2, 'c'],
    ],
  );
  assert.equal(committed.end, 4, 'LSO after the COMMIT marker at offset 3');
  const uncommitted = await readAll(bootstrap, topic, 'read_uncommitted');
  assert.equal(uncommitted.end, 4, 'high watermark = last data offset + 2');
  assert.equal(uncommitted.records.length, 3, 'the marker is not a record');
});

test('eos.c reads, upper-cases and writes in one committed transaction, and the group resumes after it', async (t) => {
  const bootstrap = await startKcatBroker(t);
  const input = uniqueName('eos-in');
  const output = uniqueName('eos-out');
  const group = uniqueName('eos-group');
  await produce(bootstrap, input, ['k1:alpha', 'k2:beta', 'k3:gamma'], ['-H', 'trace=t1']);

  const run = assertSucceeded(await eos(bootstrap, input, output, group, uniqueName('eos-txn'), 3, 'commit'), 'eos commit');
  assert.deepEqual(JSON.parse(run.stdout.trim()), {
    result: 'committed',
    consumed: 3,
    produced: 3,
    offsets: [{ topic: input, partition: 0, offset: 3 }],
  });

  const out = await readAll(bootstrap, output, 'read_committed');
  assert.deepEqual(
    out.records.map((r) => [r.offset, r.key, r.value, r.headers]),
    [
      [0, 'k1', 'ALPHA', 'trace=t1'],
      [1, 'k2', 'BETA', 'trace=t1'],
      [2, 'k3', 'GAMMA', 'trace=t1'],
    ],
  );
  assert.equal(out.end, 4);

  // The transactional offset commit made the group resume at 3: only new input is read.
  await produce(bootstrap, input, ['k4:delta', 'k5:epsilon']);
  const resumed = assertSucceeded(
    await kcat(
      ['-b', bootstrap, '-G', group, input, '-e', '-f', RECORD_FORMAT, '-X', 'enable.auto.commit=false', '-X', 'auto.offset.reset=earliest', ...GROUP_OPTIONS.flatMap((o) => ['-X', o])],
      { timeoutMs: EOS_TIMEOUT_MS },
    ),
    'kcat -G after eos',
  );
  assert.deepEqual(
    parseRecords(resumed.stdout).map((r) => [r.offset, r.value]),
    [
      [3, 'delta'],
      [4, 'epsilon'],
    ],
    explain(resumed),
  );
});

test('eos.c offsets and output stay invisible until its transaction commits', async (t) => {
  const bootstrap = await startKcatBroker(t);
  const input = uniqueName('eos-hold-in');
  const output = uniqueName('eos-hold-out');
  const group = uniqueName('eos-hold-group');
  await produce(bootstrap, input, ['k1:one', 'k2:two', 'k3:three']);
  const program = await compileC(join(LIBRDKAFKA_PROGRAMS_DIR, 'eos.c'));
  const run = new ChildRun(program, [bootstrap, input, output, group, uniqueName('eos-hold-txn'), '3', 'hold', ...GROUP_OPTIONS], { owner: t });
  await run.waitFor((out) => out.includes('{"stage":"offsets-sent"}'), EOS_TIMEOUT_MS, 'eos.c to add its offsets to the transaction');

  // kafkajs's admin reads the group's offsets with OffsetFetch, outside the group.
  const admin = newKafka(bootstrap).admin();
  await admin.connect();
  try {
    const committedOffset = async (): Promise<string | undefined> =>
      (await admin.fetchOffsets({ groupId: group, topics: [input] }))[0]?.partitions.find((p) => p.partition === 0)?.offset;
    assert.equal(await committedOffset(), '-1', 'a pending transactional offset is visible before the commit');
    const pending = await readAll(bootstrap, output, 'read_committed');
    assert.deepEqual(pending.records, [], 'output visible before the commit');
    assert.equal(pending.end, 0, 'LSO held at the transaction\'s first offset');

    run.send('go\n');
    await run.exit(EOS_TIMEOUT_MS);
    assert.equal((JSON.parse(run.stdout().trim().split('\n').at(-1) ?? '') as { result: string }).result, 'committed', run.describe());
    assert.equal(await committedOffset(), '3', 'the offsets are published by the commit');
  } finally {
    await admin.disconnect();
  }
  const out = await readAll(bootstrap, output, 'read_committed');
  assert.deepEqual(
    out.records.map((r) => r.value),
    ['ONE', 'TWO', 'THREE'],
  );
});

test('eos.c abort hides its output under read_committed, reports the aborted range, and leaves the group offset unmoved', async (t) => {
  const bootstrap = await startKcatBroker(t);
  const input = uniqueName('eos-abort-in');
  const output = uniqueName('eos-abort-out');
  const group = uniqueName('eos-abort-group');
  const txnId = uniqueName('eos-abort-txn');
  await produce(bootstrap, input, ['k1:one', 'k2:two']);

  const aborted = assertSucceeded(await eos(bootstrap, input, output, group, txnId, 2, 'abort'), 'eos abort');
  assert.equal((JSON.parse(aborted.stdout.trim()) as { result: string }).result, 'aborted');

  const hidden = await readAll(bootstrap, output, 'read_committed', ['-d', 'fetch']);
  assert.deepEqual(hidden.records, [], 'aborted records visible under read_committed');
  assert.equal(hidden.end, 3, 'two aborted records and the ABORT marker');
  // librdkafka drops the aborted batch because the broker listed (pid, first offset) for it.
  assert.ok(grepLines(hidden.stderr, /[1-9]\d* aborted msgsets/).length > 0, `no aborted transaction list in the fetch\n${hidden.stderr.slice(-4000)}`);
  const visible = await readAll(bootstrap, output, 'read_uncommitted');
  assert.deepEqual(
    visible.records.map((r) => r.value),
    ['ONE', 'TWO'],
  );

  // Nothing was committed for the group, so a second run reads the same input again.
  const retried = assertSucceeded(await eos(bootstrap, input, output, group, txnId, 2, 'commit'), 'eos commit after abort');
  assert.deepEqual((JSON.parse(retried.stdout.trim()) as { offsets: unknown }).offsets, [{ topic: input, partition: 0, offset: 2 }]);
  const after = await readAll(bootstrap, output, 'read_committed');
  assert.deepEqual(
    after.records.map((r) => [r.offset, r.value]),
    [
      [3, 'ONE'],
      [4, 'TWO'],
    ],
  );
  assert.equal(after.end, 6);
});

test('check.crcs=true passes over data batches and COMMIT and ABORT markers', async (t) => {
  const bootstrap = await startKcatBroker(t);
  const input = uniqueName('checksums-in');
  const topic = uniqueName('checksums');
  await produce(bootstrap, topic, ['p:plain']);
  assertSucceeded(
    await kcat(['-b', bootstrap, '-P', '-t', topic, '-p', '0', '-X', `transactional.id=${uniqueName('checksums-txn')}`], { stdin: 'committed\n', timeoutMs: RUN_TIMEOUT_MS }),
    'kcat -P transactional',
  );
  await produce(bootstrap, input, ['x:aborted']);
  assertSucceeded(await eos(bootstrap, input, topic, uniqueName('checksums-group'), uniqueName('checksums-eos'), 1, 'abort'), 'eos abort');

  for (const isolation of ['read_uncommitted', 'read_committed'] as const) {
    const read = await readAll(bootstrap, topic, isolation, ['-X', 'check.crcs=true', '-d', 'msg,fetch']);
    assert.deepEqual(grepLines(read.stderr, /failed CRC|CRC32C? check|Bad message format|BAD_MSG/), [], `${isolation}: CRC errors`);
    assert.equal(read.end, 5, `${isolation}: plain, committed, COMMIT, aborted, ABORT`);
    assert.deepEqual(
      read.records.map((r) => r.value),
      isolation === 'read_committed' ? ['plain', 'committed'] : ['plain', 'committed', 'ABORTED'],
    );
  }
});

test('read_committed stops at the LSO of an open transaction, and kcat -e exits there until it commits', async (t) => {
  const bootstrap = await startKcatBroker(t);
  const topic = uniqueName('lso');
  assertSucceeded(await kcat(['-b', bootstrap, '-P', '-t', topic, '-p', '0'], { stdin: 'create\n', timeoutMs: RUN_TIMEOUT_MS }), 'kcat -P (create)');
  const program = await compileC(join(LIBRDKAFKA_PROGRAMS_DIR, 'txn-fence.c'));
  const holder = new ChildRun(program, [bootstrap, topic, uniqueName('lso-txn'), 'hold'], { owner: t });
  await holder.waitFor((out) => out.includes('{"stage":"open"}'), RUN_TIMEOUT_MS, 'the transaction to be open');
  await produce(bootstrap, topic, ['k:plain']);

  const stopped = await readAll(bootstrap, topic, 'read_committed');
  assert.deepEqual(
    stopped.records.map((r) => r.value),
    ['create'],
    'read_committed must stop before the open transaction',
  );
  assert.equal(stopped.end, 1, 'LSO = first offset of the open transaction');
  const all = await readAll(bootstrap, topic, 'read_uncommitted');
  assert.deepEqual(
    all.records.map((r) => r.value),
    ['create', 'first', 'plain'],
  );
  assert.equal(all.end, 3);

  holder.send('go\n');
  await holder.exit(RUN_TIMEOUT_MS);
  assert.deepEqual(JSON.parse(holder.stdout().trim().split('\n').at(-1) ?? ''), { mode: 'hold', commit: 'ok', fatal: false }, holder.describe());
  const after = await readAll(bootstrap, topic, 'read_committed');
  assert.deepEqual(
    after.records.map((r) => r.value),
    ['create', 'first', 'plain', 'second'],
  );
  assert.equal(after.end, 5);
});

test('a second producer with the same transactional id fences the first, whose commit fails', async (t) => {
  const bootstrap = await startKcatBroker(t);
  const topic = uniqueName('fence');
  assertSucceeded(await kcat(['-b', bootstrap, '-P', '-t', topic, '-p', '0'], { stdin: 'create\n', timeoutMs: RUN_TIMEOUT_MS }), 'kcat -P (create)');
  const result = assertSucceeded(await runProgram('txn-fence', [bootstrap, topic, uniqueName('fence-txn'), 'fence', 'debug=eos,protocol'], { timeoutMs: EOS_TIMEOUT_MS }), 'txn-fence');
  const outcome = JSON.parse(result.stdout.trim()) as { oldCommit: string; oldFatal: boolean; newCommit: string };
  assert.equal(outcome.newCommit, 'ok');
  assert.equal(outcome.oldFatal, true, `the fenced producer did not raise a fatal error\n${explain(result)}`);
  assert.ok(grepLines(result.stderr, /INVALID_PRODUCER_EPOCH|fenced/i).length > 0, explain(result));

  const committed = await readAll(bootstrap, topic, 'read_committed');
  assert.deepEqual(
    committed.records.map((r) => r.value),
    ['create', 'from-new'],
    'only the new producer may commit',
  );
});

test('a transaction idle past its timeout is aborted by the broker and the producer is fenced', async (t) => {
  const bootstrap = await startKcatBroker(t, { transactionCheckIntervalMs: 200 });
  const topic = uniqueName('txn-timeout');
  assertSucceeded(await kcat(['-b', bootstrap, '-P', '-t', topic, '-p', '0'], { stdin: 'create\n', timeoutMs: RUN_TIMEOUT_MS }), 'kcat -P (create)');
  const program = await compileC(join(LIBRDKAFKA_PROGRAMS_DIR, 'txn-fence.c'));
  const holder = new ChildRun(program, [bootstrap, topic, uniqueName('timeout-txn'), 'hold', 'transaction.timeout.ms=2000', 'debug=eos'], { owner: t });
  await holder.waitFor((out) => out.includes('{"stage":"open"}'), RUN_TIMEOUT_MS, 'the transaction to be open');

  // The broker writes an ABORT marker after "first" once the transaction times out.
  const aborted = await waitFor(
    async () => {
      const read = await readAll(bootstrap, topic, 'read_committed');
      return read.end === 3 ? read : undefined;
    },
    { timeoutMs: 15_000, intervalMs: 250, message: 'the broker to abort the timed-out transaction (LSO past the ABORT marker)' },
  );
  assert.deepEqual(
    aborted.records.map((r) => r.value),
    ['create'],
  );

  holder.send('go\n');
  await holder.exit(RUN_TIMEOUT_MS);
  const outcome = JSON.parse(holder.stdout().trim().split('\n').at(-1) ?? '') as { commit: string; fatal: boolean };
  assert.notEqual(outcome.commit, 'ok', holder.describe());
  assert.equal(outcome.fatal, true, holder.describe());
});
