/**
 * Producing and consuming with librdkafka (kcat 1.7.1 and a C program) against the embedded
 * broker: spec §10 scenarios 3, 4, 5, 6 and 23, with the protocol versions of the §1 table.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ChildRun,
  KCAT,
  RECORD_FORMAT,
  assertSucceeded,
  endOffsets,
  explain,
  grepLines,
  kcat,
  parseRecords,
  protocolLines,
  runProgram,
  startKcatBroker,
} from '../helpers/kcat.ts';
import { uniqueName } from '../helpers/kafkajs.ts';

/** One produce or consume run of a few records; generous for two busy cores, tiny when healthy. */
const RUN_TIMEOUT_MS = 20_000;
/** librdkafka's fetch long poll for these tests, so idle waits are short and measurable. */
const FETCH_WAIT_MAX_MS = 300;

test('kcat produces three keyed records with headers at acks=-1 and reads them back from offset 0', async (t) => {
  const bootstrap = await startKcatBroker(t);
  const topic = uniqueName('kcat-basic');
  const produced = assertSucceeded(
    await kcat(['-b', bootstrap, '-P', '-t', topic, '-p', '0', '-K', ':', '-H', 'trace=abc', '-H', 'kind=test', '-X', 'acks=-1', '-d', 'protocol'], {
      stdin: 'k1:v1\nk2:v2\nk3:v3\n',
      timeoutMs: RUN_TIMEOUT_MS,
    }),
    'kcat -P',
  );
  const produceVersions = new Set(protocolLines(produced.stderr).filter((l) => l.api === 'Produce').map((l) => l.version));
  assert.deepEqual([...produceVersions], [3], explain(produced));

  const consumed = assertSucceeded(
    await kcat(['-b', bootstrap, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-f', RECORD_FORMAT, '-d', 'protocol'], { timeoutMs: RUN_TIMEOUT_MS }),
    'kcat -C',
  );
  assert.deepEqual(
    parseRecords(consumed.stdout).map((r) => [r.partition, r.offset, r.key, r.value, r.headers]),
    [
      [0, 0, 'k1', 'v1', 'trace=abc,kind=test'],
      [0, 1, 'k2', 'v2', 'trace=abc,kind=test'],
      [0, 2, 'k3', 'v3', 'trace=abc,kind=test'],
    ],
    explain(consumed),
  );
  const fetchVersions = new Set(protocolLines(consumed.stderr).filter((l) => l.api === 'Fetch').map((l) => l.version));
  assert.deepEqual([...fetchVersions], [4], explain(consumed));
  assert.equal(endOffsets(consumed.stderr, topic).get(0), 3, explain(consumed));
});

test('kcat with acks=0 gets no Produce response and the records are still readable', async (t) => {
  const bootstrap = await startKcatBroker(t);
  const topic = uniqueName('kcat-acks0');
  // Create the topic first so the acks=0 run has no auto-create round trip to race with.
  assertSucceeded(await kcat(['-b', bootstrap, '-P', '-t', topic, '-p', '0'], { stdin: 'first\n', timeoutMs: RUN_TIMEOUT_MS }), 'kcat -P (create)');
  const produced = assertSucceeded(
    await kcat(['-b', bootstrap, '-P', '-t', topic, '-p', '0', '-X', 'acks=0', '-d', 'protocol'], { stdin: 'a\nb\nc\n', timeoutMs: RUN_TIMEOUT_MS }),
    'kcat -P acks=0',
  );
  const produceLines = protocolLines(produced.stderr).filter((l) => l.api === 'Produce');
  assert.ok(produceLines.some((l) => l.direction === 'sent'), explain(produced));
  assert.deepEqual(
    produceLines.filter((l) => l.direction === 'received').map((l) => l.line),
    [],
    'the broker answered an acks=0 Produce',
  );
  // Metadata and ApiVersions keep working on the same connection after the unanswered Produce.
  const consumed = assertSucceeded(
    await kcat(['-b', bootstrap, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-f', RECORD_FORMAT], { timeoutMs: RUN_TIMEOUT_MS }),
    'kcat -C',
  );
  assert.deepEqual(
    parseRecords(consumed.stdout).map((r) => [r.offset, r.value]),
    [
      [0, 'first'],
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
    ],
    explain(consumed),
  );
});

test('a librdkafka producer auto-creates a missing topic but a subscribing consumer does not', async (t) => {
  const bootstrap = await startKcatBroker(t);
  const produceTopic = uniqueName('kcat-autocreate');
  const subscribeTopic = uniqueName('kcat-missing');

  assertSucceeded(await kcat(['-b', bootstrap, '-P', '-t', produceTopic], { stdin: 'hello\n', timeoutMs: RUN_TIMEOUT_MS }), 'kcat -P to a missing topic');

  const member = new ChildRun(
    KCAT,
    ['-b', bootstrap, '-G', uniqueName('kcat-missing-group'), subscribeTopic, '-X', 'topic.metadata.refresh.interval.ms=500', '-d', 'cgrp,metadata'],
    { owner: t },
  );
  // librdkafka reports the missing subscription as a consumer error once metadata says error 3.
  await member.waitFor(
    (_out, err) => /Subscribed topic not available|Unknown topic or partition/i.test(err),
    RUN_TIMEOUT_MS,
    'the consumer to report its subscribed topic as unavailable',
  );
  await member.stop();

  // A Metadata request for all topics (null list) never auto-creates (spec §8).
  const listed = assertSucceeded(await kcat(['-b', bootstrap, '-L', '-J'], { timeoutMs: RUN_TIMEOUT_MS }), 'kcat -L');
  const names = (JSON.parse(listed.stdout) as { topics: Array<{ topic: string }> }).topics.map((x) => x.topic);
  assert.ok(names.includes(produceTopic), `producer's topic missing from ${names.join(',')}`);
  assert.ok(!names.includes(subscribeTopic), `consumer's subscription created ${subscribeTopic}\n${member.describe()}`);
});

test('an idempotent kcat producer gets a producer id and its sequenced batches are accepted', async (t) => {
  const bootstrap = await startKcatBroker(t);
  const topic = uniqueName('kcat-idem');
  const lines = Array.from({ length: 50 }, (_, i) => `m${i}`);
  const produced = assertSucceeded(
    await kcat(['-b', bootstrap, '-P', '-t', topic, '-p', '0', '-X', 'enable.idempotence=true', '-X', 'linger.ms=1', '-X', 'batch.num.messages=10', '-d', 'protocol,eos'], {
      stdin: `${lines.join('\n')}\n`,
      timeoutMs: RUN_TIMEOUT_MS,
    }),
    'kcat -P idempotent',
  );
  const calls = protocolLines(produced.stderr);
  const init = calls.filter((l) => l.api === 'InitProducerId');
  assert.deepEqual(
    init.map((l) => `${l.direction} v${l.version}`),
    ['sent v0', 'received v0'],
    explain(produced),
  );
  // librdkafka renames the bootstrap connection after the node id it learns from Metadata.
  assert.deepEqual(
    init.map((l) => l.broker),
    [`${bootstrap}/0`, `${bootstrap}/0`],
    'InitProducerId must reach node 0',
  );
  assert.ok(grepLines(produced.stderr, /Acquired PID\{Id:\d+,Epoch:0\}/).length > 0, `no producer id acquired\n${explain(produced)}`);
  assert.deepEqual(grepLines(produced.stderr, /OUT_OF_ORDER_SEQUENCE|DUPLICATE_SEQUENCE|UNKNOWN_PRODUCER|fatal/i), [], explain(produced));

  const consumed = assertSucceeded(
    await kcat(['-b', bootstrap, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-f', RECORD_FORMAT], { timeoutMs: RUN_TIMEOUT_MS }),
    'kcat -C',
  );
  assert.deepEqual(
    parseRecords(consumed.stdout).map((r) => r.value),
    lines,
    explain(consumed),
  );
});

test('an idempotent librdkafka producer with five requests in flight delivers every record once, in order', async (t) => {
  const bootstrap = await startKcatBroker(t);
  const topic = uniqueName('c-idem');
  const count = 2_000;
  const result = assertSucceeded(await runProgram('idempotent', [bootstrap, topic, String(count)], { timeoutMs: RUN_TIMEOUT_MS * 2 }), 'idempotent');
  assert.deepEqual(JSON.parse(result.stdout.trim()), { delivered: count, firstOffset: 0, lastOffset: count - 1, inOrder: true }, explain(result));
  // A second producer gets a new producer id and continues the log.
  const again = assertSucceeded(await runProgram('idempotent', [bootstrap, topic, '10'], { timeoutMs: RUN_TIMEOUT_MS }), 'idempotent (second)');
  assert.deepEqual(JSON.parse(again.stdout.trim()), { delivered: 10, firstOffset: count, lastOffset: count + 9, inOrder: true }, explain(again));
});

test('a fetch past the high watermark gets error 1 and librdkafka resets to the earliest offset', async (t) => {
  const bootstrap = await startKcatBroker(t);
  const topic = uniqueName('kcat-oor');
  assertSucceeded(await kcat(['-b', bootstrap, '-P', '-t', topic, '-p', '0'], { stdin: 'a\nb\nc\n', timeoutMs: RUN_TIMEOUT_MS }), 'kcat -P');
  const consumed = assertSucceeded(
    await kcat(['-b', bootstrap, '-C', '-t', topic, '-p', '0', '-o', '8', '-e', '-X', 'auto.offset.reset=earliest', '-f', RECORD_FORMAT, '-d', 'fetch'], {
      timeoutMs: RUN_TIMEOUT_MS,
    }),
    'kcat -C -o 8',
  );
  assert.ok(grepLines(consumed.stderr, /Offset out of range/).length > 0, `no OFFSET_OUT_OF_RANGE seen\n${explain(consumed)}`);
  assert.deepEqual(
    parseRecords(consumed.stdout).map((r) => [r.offset, r.value]),
    [
      [0, 'a'],
      [1, 'b'],
      [2, 'c'],
    ],
    explain(consumed),
  );
});

test('an idle fetch long-polls for about fetch.wait.max.ms before the broker answers', async (t) => {
  const bootstrap = await startKcatBroker(t);
  const topic = uniqueName('kcat-longpoll');
  assertSucceeded(await kcat(['-b', bootstrap, '-P', '-t', topic, '-p', '0'], { stdin: 'only\n', timeoutMs: RUN_TIMEOUT_MS }), 'kcat -P');
  const consumer = new ChildRun(KCAT, ['-b', bootstrap, '-C', '-t', topic, '-p', '0', '-o', 'end', '-X', `fetch.wait.max.ms=${FETCH_WAIT_MAX_MS}`, '-d', 'protocol'], { owner: t });
  // Fetch responses at the end of the log: librdkafka logs each one with its round-trip time.
  const rtts = await consumer.waitFor(
    (_out, err) => {
      const found = [...err.matchAll(/Received FetchResponse \(v\d+, \d+ bytes, CorrId \d+, rtt ([\d.]+)ms\)/g)].map((m) => Number(m[1]));
      return found.length >= 4 ? found : undefined;
    },
    RUN_TIMEOUT_MS,
    'four idle fetch responses',
  );
  await consumer.stop();
  // The first may answer at once (position lookup); the idle ones wait out the long poll.
  const idle = rtts.slice(1);
  for (const rtt of idle) {
    assert.ok(rtt >= FETCH_WAIT_MAX_MS * 0.8, `idle fetch answered after ${rtt} ms, long poll not honoured: ${rtts.join(', ')}`);
    assert.ok(rtt < FETCH_WAIT_MAX_MS * 5, `idle fetch took ${rtt} ms: ${rtts.join(', ')}`);
  }
});

test('records larger than the consumer’s per-partition fetch size still arrive, whole and in order (KIP-74)', async (t) => {
  const bootstrap = await startKcatBroker(t);
  const topic = uniqueName('kcat-large');
  const sizes = [200_000, 5, 900_000];
  const lines = sizes.map((n, i) => String.fromCharCode(0x61 + i).repeat(n));
  assertSucceeded(await kcat(['-b', bootstrap, '-P', '-t', topic, '-p', '0'], { stdin: `${lines.join('\n')}\n`, timeoutMs: RUN_TIMEOUT_MS }), 'kcat -P large');
  // fetch.message.max.bytes is librdkafka's max.partition.fetch.bytes: far below each record.
  const consumed = assertSucceeded(
    await kcat(['-b', bootstrap, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-X', 'fetch.message.max.bytes=1000', '-X', 'check.crcs=true', '-f', '%o %S %s\\n'], {
      timeoutMs: RUN_TIMEOUT_MS,
    }),
    'kcat -C small fetch size',
  );
  const got = consumed.stdout
    .trim()
    .split('\n')
    .map((line) => line.split(' '));
  assert.deepEqual(
    got.map(([offset, size]) => [Number(offset), Number(size)]),
    sizes.map((n, i) => [i, n]),
    explain(consumed),
  );
  assert.deepEqual(
    got.map((parts) => parts[2]),
    lines,
  );
});
