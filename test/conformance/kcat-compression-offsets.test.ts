/**
 * Two things spec §11 lists as unverified, checked with librdkafka: compressed batches pass
 * through the broker untouched (§3: stored as sent, offsets rewritten, CRC still valid), and
 * ListOffsets by timestamp and by end position (§5).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RECORD_FORMAT, assertSucceeded, endOffsets, explain, grepLines, kcat, parseRecords, startKcatBroker } from '../helpers/kcat.ts';
import { uniqueName } from '../helpers/kafkajs.ts';

const RUN_TIMEOUT_MS = 20_000;
const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const;

async function produce(bootstrap: string, topic: string, values: string[], extra: string[]): Promise<void> {
  assertSucceeded(
    await kcat(['-b', bootstrap, '-P', '-t', topic, '-p', '0', ...extra], { stdin: `${values.join('\n')}\n`, timeoutMs: RUN_TIMEOUT_MS }),
    `kcat -P ${extra.join(' ')}`,
  );
}

test('gzip, snappy, lz4 and zstd batches, plain, idempotent and transactional, pass through with valid CRCs', async (t) => {
  const bootstrap = await startKcatBroker(t);
  const topic = uniqueName('codecs');
  const expected: string[] = [];
  for (const codec of CODECS) {
    const values = [1, 2, 3].map((i) => `${codec}-${i}`);
    await produce(bootstrap, topic, values, ['-z', codec]);
    expected.push(...values);
  }
  // Compressed batches carrying a producer id: sequences and markers around compressed data.
  await produce(bootstrap, topic, ['idem-lz4-1', 'idem-lz4-2'], ['-z', 'lz4', '-X', 'enable.idempotence=true']);
  await produce(bootstrap, topic, ['txn-zstd-1', 'txn-zstd-2'], ['-z', 'zstd', '-X', `transactional.id=${uniqueName('codecs-txn')}`]);
  expected.push('idem-lz4-1', 'idem-lz4-2', 'txn-zstd-1', 'txn-zstd-2');

  for (const isolation of ['read_uncommitted', 'read_committed']) {
    const result = assertSucceeded(
      await kcat(['-b', bootstrap, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-X', `isolation.level=${isolation}`, '-X', 'check.crcs=true', '-f', RECORD_FORMAT], {
        timeoutMs: RUN_TIMEOUT_MS,
      }),
      `kcat -C ${isolation}`,
    );
    const records = parseRecords(result.stdout);
    assert.deepEqual(
      records.map((r) => r.value),
      expected,
      explain(result),
    );
    // Offsets are contiguous across compressed batches: the broker counted records without decompressing.
    assert.deepEqual(
      records.map((r) => r.offset),
      expected.map((_, i) => i),
    );
    assert.equal(endOffsets(result.stderr, topic).get(0), expected.length + 1, 'all records plus one COMMIT marker');
    assert.deepEqual(grepLines(result.stderr, /failed CRC|Bad message format|decompress/i), [], explain(result));
  }
});

test('kcat finds offsets by timestamp and relative to the end of the log', async (t) => {
  const bootstrap = await startKcatBroker(t);
  const topic = uniqueName('offsets');
  await produce(bootstrap, topic, ['a', 'b', 'c'], []);
  await produce(bootstrap, topic, ['d', 'e'], []);

  const all = assertSucceeded(
    await kcat(['-b', bootstrap, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-f', '%o %T\\n'], { timeoutMs: RUN_TIMEOUT_MS }),
    'kcat -C timestamps',
  );
  const stamps = all.stdout
    .trim()
    .split('\n')
    .map((line) => Number(line.split(' ')[1]));
  const firstTs = stamps[0] ?? Number.NaN;
  const secondBatchTs = stamps[3] ?? Number.NaN;
  assert.ok(secondBatchTs > firstTs, `the second batch must be younger: ${stamps.join(',')}`);

  // ListOffsets v2: a timestamp maps to the first offset at or after it; -1 and -2 are the ends.
  const query = async (ts: number): Promise<string> =>
    assertSucceeded(await kcat(['-b', bootstrap, '-Q', '-t', `${topic}:0:${ts}`], { timeoutMs: RUN_TIMEOUT_MS }), `kcat -Q ${ts}`).stdout.trim();
  assert.equal(await query(secondBatchTs), `${topic} [0] offset 3`);
  assert.equal(await query(firstTs), `${topic} [0] offset 0`);
  assert.equal(await query(-1), `${topic} [0] offset 5`);
  assert.equal(await query(-2), `${topic} [0] offset 0`);

  const fromTimestamp = assertSucceeded(
    await kcat(['-b', bootstrap, '-C', '-t', topic, '-p', '0', '-o', `s@${secondBatchTs}`, '-e', '-f', RECORD_FORMAT], { timeoutMs: RUN_TIMEOUT_MS }),
    'kcat -C -o s@ts',
  );
  assert.deepEqual(
    parseRecords(fromTimestamp.stdout).map((r) => r.value),
    ['d', 'e'],
    explain(fromTimestamp),
  );
  const lastTwo = assertSucceeded(
    await kcat(['-b', bootstrap, '-C', '-t', topic, '-p', '0', '-o', '-2', '-e', '-f', RECORD_FORMAT], { timeoutMs: RUN_TIMEOUT_MS }),
    'kcat -C -o -2',
  );
  assert.deepEqual(
    parseRecords(lastTwo.stdout).map((r) => [r.offset, r.value]),
    [
      [3, 'd'],
      [4, 'e'],
    ],
    explain(lastTwo),
  );
});
