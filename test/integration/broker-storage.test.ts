/**
 * Storage through the broker: a torn or corrupt tail of the active segment is truncated on
 * restart without losing acknowledged records; compaction keeps only the latest value per key;
 * retention deletes old segments and moves the earliest offset. Files live under
 * `<dataDir>/<LOGS_DIR>/<topic>-<partition>/<20-digit base offset>.log`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { LOGS_DIR } from '../../ops/embedded/kafka/broker.ts';
import { spawnBroker } from '../helpers/broker-process.ts';
import { decodeBatches, encodeBatch, type DecodedRecord } from '../helpers/raw-wire.ts';
import { RawConnection, createTopic, fetch, listOffset, produce } from '../helpers/raw-client.ts';
import { Scope, connectedAdmin, consumeCount, newKafka, startTestBroker, uniqueName } from '../helpers/kafkajs.ts';
import { tempDir, type TestOwner } from '../helpers/wait.ts';

const RECORDS_PER_BATCH = 5;
const BATCHES_BEFORE_CRASH = 10;

/** The partition's directory: `<dataDir>/<LOGS_DIR>/<topic>-<partition>/`. */
function partitionDir(dataDir: string, topic: string, partition: number): string {
  const dir = path.join(dataDir, LOGS_DIR, `${topic}-${partition}`);
  assert.ok(fs.existsSync(dir), `no partition directory ${dir}`);
  return dir;
}

/** The newest segment file of a partition: the one appends go to. */
function activeSegment(dataDir: string, topic: string, partition: number): string {
  const dir = partitionDir(dataDir, topic, partition);
  const logs = fs.readdirSync(dir).filter((f) => /^\d{20}\.log$/.test(f)).sort();
  const last = logs[logs.length - 1];
  assert.ok(last, `no segment in ${dir}: ${fs.readdirSync(dir).join(', ')}`);
  return path.join(dir, last);
}

async function readAll(conn: RawConnection, topic: string, partition: number, from = 0): Promise<DecodedRecord[]> {
  const end = (await listOffset(conn, topic, partition, -1)).offset;
  const out: DecodedRecord[] = [];
  let next = from;
  while (next < end) {
    const res = await fetch(conn, topic, partition, next, { maxBytes: 1024 * 1024 });
    assert.equal(res.errorCode, 0, `fetch at ${next}`);
    const batches = decodeBatches(res.records);
    assert.ok(batches.length > 0, `no batch at ${next} below the log end ${end}`);
    for (const b of batches) {
      if (!b.isControl) out.push(...b.records.filter((r) => r.offset >= next));
      next = b.lastOffset + 1;
    }
  }
  return out;
}

function batchOf(prefix: string, count: number, baseTimestamp?: number): Buffer {
  return encodeBatch({
    ...(baseTimestamp === undefined ? {} : { baseTimestamp }),
    records: Array.from({ length: count }, (_, i) => ({ key: Buffer.from(`${prefix}-k${i}`), value: Buffer.from(`${prefix}-v${i}`) })),
  });
}

type TailDamage = (segmentPath: string) => void;

async function checkTailRecovery(t: TestOwner, damage: TailDamage): Promise<void> {
  const scope = new Scope(t);
  const dir = tempDir('broker-torn', { after: (fn) => scope.defer('remove data dir', fn) });
  const broker = await spawnBroker({ dataDir: dir.path, extraArgs: ['--log-level', 'info'] });
  scope.defer('stop broker', () => broker.stop());
  const topic = uniqueName('torn');
  let conn = await RawConnection.fromBootstrap(broker.bootstrap);
  assert.equal(await createTopic(conn, topic, 1), 0);
  for (let b = 0; b < BATCHES_BEFORE_CRASH; b += 1) {
    assert.deepEqual(await produce(conn, topic, 0, batchOf(`b${b}`, RECORDS_PER_BATCH)), { errorCode: 0, baseOffset: b * RECORDS_PER_BATCH });
  }
  conn.close();
  await broker.kill('SIGKILL');

  const segment = activeSegment(dir.path, topic, 0);
  const sizeBefore = fs.statSync(segment).size;
  damage(segment);
  assert.ok(fs.statSync(segment).size > sizeBefore, 'the damage appended bytes');

  const linesBefore = broker.logLines().length;
  await broker.restart();
  conn = await RawConnection.fromBootstrap(broker.bootstrap);
  scope.defer('close raw connection', () => conn.close());
  const acknowledged = BATCHES_BEFORE_CRASH * RECORDS_PER_BATCH;
  assert.deepEqual(await listOffset(conn, topic, 0, -1), { errorCode: 0, offset: acknowledged }, `log end after recovery\n${broker.output().slice(-3000)}`);
  const records = await readAll(conn, topic, 0);
  assert.deepEqual(
    records.map((r) => [r.offset, r.value?.toString()]),
    Array.from({ length: acknowledged }, (_, i) => [i, `b${Math.floor(i / RECORDS_PER_BATCH)}-v${i % RECORDS_PER_BATCH}`]),
  );

  assert.deepEqual(await produce(conn, topic, 0, batchOf('after', 2)), { errorCode: 0, baseOffset: acknowledged }, 'new produces continue at the log end');
  const tail = await readAll(conn, topic, 0, acknowledged);
  assert.deepEqual(tail.map((r) => [r.offset, r.value?.toString()]), [[acknowledged, 'after-v0'], [acknowledged + 1, 'after-v1']]);

  const logged = broker.logLines().slice(linesBefore).filter((l) => typeof l.msg === 'string' && /truncat/i.test(l.msg));
  assert.ok(logged.length > 0, `the broker logged the truncation:\n${broker.output().slice(-3000)}`);
  assert.ok(logged.some((l) => typeof l.level === 'number' ? l.level >= 40 : l.level === 'warn'), 'logged at warn or above');

  // kafkajs reads the recovered partition too.
  const got = await consumeCount(scope, newKafka(broker.bootstrap), topic, acknowledged + 2);
  assert.equal(got.length, acknowledged + 2);
}

test('a torn partial batch at the end of the active segment is truncated on restart and nothing acknowledged is lost', async (t) => {
  await checkTailRecovery(t, (segment) => {
    // The first 40 bytes of a 5-record batch: its header claims more bytes than follow.
    fs.appendFileSync(segment, batchOf('torn', 5).subarray(0, 40));
  });
});

test('a whole batch with a bad CRC followed by garbage at the end of the active segment is truncated on restart', async (t) => {
  await checkTailRecovery(t, (segment) => {
    const corrupt = Buffer.from(batchOf('corrupt', 3));
    const last = corrupt.length - 1;
    corrupt.writeUInt8((corrupt.readUInt8(last) ^ 0xff) & 0xff, last);
    const garbage = Buffer.alloc(300);
    for (let i = 0; i < garbage.length; i += 1) garbage.writeUInt8((i * 131 + 7) & 0xff, i);
    fs.appendFileSync(segment, Buffer.concat([corrupt, garbage]));
  });
});

test('missing, truncated or garbled segment indexes are rebuilt on restart, and reads at every offset and by timestamp stay correct', async (t) => {
  const scope = new Scope(t);
  const dir = tempDir('broker-index', { after: (fn) => scope.defer('remove data dir', fn) });
  const broker = await spawnBroker({ dataDir: dir.path, extraArgs: ['--log-level', 'warn'] });
  scope.defer('stop broker', () => broker.stop());
  const topic = uniqueName('index');
  let conn = await RawConnection.fromBootstrap(broker.bootstrap);
  assert.equal(await createTopic(conn, topic, 1, { 'segment.bytes': '2048' }), 0);
  const baseMs = Date.now() - 100_000;
  const batches = 60;
  for (let b = 0; b < batches; b += 1) {
    assert.equal((await produce(conn, topic, 0, batchOf(`i${b}`, 3, baseMs + b * 1_000))).errorCode, 0);
  }
  conn.close();
  assert.deepEqual(await broker.stop(), { code: 0, signal: null });

  const partition = partitionDir(dir.path, topic, 0);
  const indexes = fs.readdirSync(partition).filter((f) => /\.(time)?index$/.test(f)).sort();
  assert.ok(indexes.length >= 4, `several segments with indexes: ${fs.readdirSync(partition).join(', ')}`);
  indexes.forEach((name, i) => {
    const file = path.join(partition, name);
    if (i % 3 === 0) fs.rmSync(file);
    else if (i % 3 === 1) fs.truncateSync(file, Math.max(0, fs.statSync(file).size - 5));
    else {
      // Same length, wrong content (bit rot): entries must be sanity-checked, not trusted.
      const garbage = Buffer.alloc(fs.statSync(file).size);
      for (let k = 0; k < garbage.length; k += 1) garbage.writeUInt8((k * 97 + i) & 0xff, k);
      fs.writeFileSync(file, garbage);
    }
  });

  await broker.start();
  conn = await RawConnection.fromBootstrap(broker.bootstrap);
  scope.defer('close raw connection', () => conn.close());
  const end = batches * 3;
  assert.deepEqual(await listOffset(conn, topic, 0, -1), { errorCode: 0, offset: end });
  for (let offset = 0; offset < end; offset += 1) {
    const res = await fetch(conn, topic, 0, offset, { maxBytes: 200, partitionMaxBytes: 200 });
    const first = decodeBatches(res.records)[0];
    assert.ok(first, `a batch at offset ${offset}`);
    assert.equal(first.baseOffset, offset - (offset % 3), `the batch holding offset ${offset}`);
    assert.equal(first.records[offset % 3]?.value?.toString(), `i${Math.floor(offset / 3)}-v${offset % 3}`);
  }
  for (const b of [0, 17, 33, 59]) {
    assert.deepEqual(await listOffset(conn, topic, 0, baseMs + b * 1_000), { errorCode: 0, offset: b * 3 }, `offset for the timestamp of batch ${b}`);
  }
});

/** An in-process broker whose cleanup runs only when the test says so (its timer is off). */
async function startCleanableBroker(scope: Scope): Promise<{ bootstrap: string; cleanup: (nowMs?: number) => void }> {
  const { broker, bootstrap } = await startTestBroker(scope, { logCleanupIntervalMs: 0 });
  return { bootstrap, cleanup: (nowMs) => broker.runLogCleanup(nowMs) };
}

test('a compacted topic keeps only the latest value per key at its original offset (cleanup.policy=compact)', async (t) => {
  const scope = new Scope(t);
  const { bootstrap, cleanup } = await startCleanableBroker(scope);
  const conn = await RawConnection.fromBootstrap(bootstrap);
  scope.defer('close raw connection', () => conn.close());
  const topic = uniqueName('compact');
  assert.equal(await createTopic(conn, topic, 1, { 'cleanup.policy': 'compact', 'segment.bytes': '1024' }), 0);

  const keys = 8;
  const rounds = 10;
  for (let r = 0; r < rounds; r += 1) {
    const batch = encodeBatch({ records: Array.from({ length: keys }, (_, k) => ({ key: Buffer.from(`key-${k}`), value: Buffer.from(`round-${r}-key-${k}`) })) });
    assert.equal((await produce(conn, topic, 0, batch)).errorCode, 0);
  }
  // Unique-key filler pushes every superseded value out of the active segment, which is never rewritten.
  const fillerBatches = 12;
  for (let f = 0; f < fillerBatches; f += 1) {
    const batch = encodeBatch({ records: Array.from({ length: 4 }, (_, i) => ({ key: Buffer.from(`filler-${f}-${i}`), value: Buffer.from(`filler-value-${f}-${i}-${'x'.repeat(20)}`) })) });
    assert.equal((await produce(conn, topic, 0, batch)).errorCode, 0);
  }
  const end = keys * rounds + fillerBatches * 4;
  assert.deepEqual(await listOffset(conn, topic, 0, -1), { errorCode: 0, offset: end });

  const before = await readAll(conn, topic, 0);
  assert.equal(before.length, end, 'nothing is compacted before cleanup runs');
  cleanup();
  const records = await readAll(conn, topic, 0);
  assert.equal(records.length, keys + fillerBatches * 4, 'one record per key after cleanup');
  const keyed = records.filter((r) => r.key?.toString().startsWith('key-'));
  assert.deepEqual(
    keyed.map((r) => [r.offset, r.key?.toString(), r.value?.toString()]),
    Array.from({ length: keys }, (_, k) => [(rounds - 1) * keys + k, `key-${k}`, `round-${rounds - 1}-key-${k}`]),
  );
  assert.deepEqual(await listOffset(conn, topic, 0, -1), { errorCode: 0, offset: end }, 'compaction keeps the log end');

  const viaKafkajs = await consumeCount(scope, newKafka(bootstrap), topic, keys + fillerBatches * 4);
  assert.deepEqual(
    viaKafkajs.filter((m) => m.key?.startsWith('key-')).map((m) => m.value),
    Array.from({ length: keys }, (_, k) => `round-${rounds - 1}-key-${k}`),
  );
});

test('compaction drops a key whose latest record is a tombstone older than delete.retention.ms', async (t) => {
  const scope = new Scope(t);
  const { bootstrap, cleanup } = await startCleanableBroker(scope);
  const conn = await RawConnection.fromBootstrap(bootstrap);
  scope.defer('close raw connection', () => conn.close());
  const topic = uniqueName('tombstone');
  assert.equal(await createTopic(conn, topic, 1, { 'cleanup.policy': 'compact', 'segment.bytes': '1024', 'delete.retention.ms': '1000' }), 0);
  for (let r = 0; r < 6; r += 1) {
    const batch = encodeBatch({ records: ['gone', 'kept'].map((k) => ({ key: Buffer.from(k), value: Buffer.from(`${k}-${r}-${'y'.repeat(40)}`) })) });
    assert.equal((await produce(conn, topic, 0, batch)).errorCode, 0);
  }
  assert.equal((await produce(conn, topic, 0, encodeBatch({ records: [{ key: Buffer.from('gone'), value: null }] }))).errorCode, 0);
  for (let f = 0; f < 12; f += 1) {
    const batch = encodeBatch({ records: [{ key: Buffer.from(`filler-${f}`), value: Buffer.from(`f-${'z'.repeat(80)}`) }] });
    assert.equal((await produce(conn, topic, 0, batch)).errorCode, 0);
  }
  // Now: the tombstone is the latest for its key but younger than delete.retention.ms, so it stays.
  cleanup();
  const young = (await readAll(conn, topic, 0)).filter((r) => r.key?.toString() === 'gone');
  assert.deepEqual(young.map((r) => r.value), [null], 'only the tombstone is left for the deleted key');
  // A minute later the tombstone itself is past delete.retention.ms and goes.
  cleanup(Date.now() + 60_000);
  const records = await readAll(conn, topic, 0);
  assert.deepEqual(records.filter((r) => r.key?.toString() === 'gone'), []);
  assert.deepEqual(records.filter((r) => r.key?.toString() === 'kept').map((r) => r.value?.toString().slice(0, 6)), ['kept-5']);
});

test('retention.ms deletes old segments and moves the earliest offset, which kafkajs admin and consumers follow', async (t) => {
  const scope = new Scope(t);
  const { bootstrap, cleanup } = await startCleanableBroker(scope);
  const conn = await RawConnection.fromBootstrap(bootstrap);
  scope.defer('close raw connection', () => conn.close());
  const topic = uniqueName('retention');
  assert.equal(await createTopic(conn, topic, 1, { 'retention.ms': '600000', 'segment.bytes': '1024' }), 0);

  // An hour old: past the 10-minute retention, while records written now stay well inside it.
  const oldMs = Date.now() - 60 * 60 * 1000;
  const oldBatches = 20;
  for (let b = 0; b < oldBatches; b += 1) assert.equal((await produce(conn, topic, 0, batchOf(`old${b}`, 4, oldMs))).errorCode, 0);
  // Fresh records roll in a new active segment of their own once the old ones fill theirs.
  const freshBatches = 8;
  for (let b = 0; b < freshBatches; b += 1) assert.equal((await produce(conn, topic, 0, batchOf(`new${b}`, 4))).errorCode, 0);
  const end = (oldBatches + freshBatches) * 4;

  assert.deepEqual(await listOffset(conn, topic, 0, -2), { errorCode: 0, offset: 0 }, 'nothing deleted before cleanup runs');
  cleanup();
  const earliest = (await listOffset(conn, topic, 0, -2)).offset;
  assert.ok(earliest > 0, 'retention moved the earliest offset');
  assert.ok(earliest <= oldBatches * 4, `only segments with old records are deleted (earliest ${earliest})`);
  assert.deepEqual(await listOffset(conn, topic, 0, -1), { errorCode: 0, offset: end });
  assert.equal((await fetch(conn, topic, 0, 0)).errorCode, 1, 'a fetch below the earliest offset is out of range');
  const admin = await connectedAdmin(scope, newKafka(bootstrap));
  assert.deepEqual((await admin.fetchTopicOffsets(topic)).map((p) => ({ low: p.low, high: p.high })), [{ low: String(earliest), high: String(end) }]);

  const got = await consumeCount(scope, newKafka(bootstrap), topic, end - earliest);
  assert.equal(got[0]?.offset, earliest, 'a consumer from the beginning starts at the new earliest offset');
  assert.ok(got.some((m) => m.value === 'new7-v3'));
});
