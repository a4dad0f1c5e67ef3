import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import { waitUntil } from '../../lib/wait.ts';
import type { Endpoints } from '../../ops/embedded/launcher.ts';
import { isAlive } from '../../ops/embedded/processes.ts';
import { startBroker } from '../../ops/embedded/kafka/index.ts';

const CLI = join(import.meta.dirname, '../../ops/cli/main.ts');

interface Launcher {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startLauncher(dataDir: string, env: Record<string, string>, flags: readonly string[] = []): Launcher {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'up', '--data-dir', dataDir, ...flags], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function endpointsOf(dataDir: string, launcher: Launcher): Promise<Endpoints> {
  return waitUntil(
    () => {
      if (launcher.child.exitCode !== null) throw new Error(`launcher exited early:\n${launcher.output()}`);
      const path = join(dataDir, 'endpoints.json');
      if (!existsSync(path)) return undefined;
      const endpoints = JSON.parse(readFileSync(path, 'utf8')) as Endpoints;
      return endpoints.launcherPid === launcher.child.pid ? endpoints : undefined;
    },
    { timeoutMs: 90_000, intervalMs: 100, what: 'the launcher to publish endpoints.json' },
  );
}

async function withPg<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function withRedis<T>(url: string, fn: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    return await fn(client);
  } finally {
    client.disconnect();
  }
}

test('launcher starts PostgreSQL and Redis, survives a kill -9 with data intact, and stops cleanly', { timeout: 240_000 }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'paystream-launcher-'));
  // Kafka is "external" here (a broker this test runs), so the launcher must start none of its own.
  const broker = await startBroker({ dataDir: join(dataDir, 'external-kafka'), host: '127.0.0.1', port: 0 });
  t.after(() => broker.close());
  const env = { KAFKA_BROKERS: broker.bootstrap, SCHEMA_REGISTRY_URL: 'http://127.0.0.1:9' };
  const launchers: Launcher[] = [];
  t.after(async () => {
    for (const l of launchers) if (l.child.exitCode === null) l.child.kill('SIGKILL');
    // A SIGKILLed launcher's children are stopped by the next launcher; stop any left over here.
    const state = join(dataDir, 'launcher.json');
    if (existsSync(state)) {
      for (const c of (JSON.parse(readFileSync(state, 'utf8')) as { children: { pid: number }[] }).children) {
        if (isAlive(c.pid)) process.kill(c.pid, 'SIGKILL');
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  const first = startLauncher(dataDir, env, ['--services-only']);
  launchers.push(first);
  const e1 = await endpointsOf(dataDir, first);
  assert.equal(e1.services.postgres?.embedded, true);
  assert.equal(e1.services.redis?.embedded, true);
  assert.deepEqual(e1.services.kafka, { url: broker.bootstrap, embedded: false });
  assert.deepEqual(e1.services.schemaRegistry, { url: 'http://127.0.0.1:9', embedded: false });
  const pgUrl1 = e1.services.postgres?.url ?? assert.fail('no postgres url');
  const redisUrl1 = e1.services.redis?.url ?? assert.fail('no redis url');

  const deploymentId = await withPg(pgUrl1, async (c) => {
    await c.query('CREATE TABLE launcher_probe (id int PRIMARY KEY, note text NOT NULL)');
    await c.query("INSERT INTO launcher_probe VALUES (1, 'kept across kill -9')");
    const row = await c.query<{ deployment_id: string }>('SELECT deployment_id FROM paystream_schema_info');
    return row.rows[0]?.deployment_id;
  });
  assert.ok(deploymentId, 'migrations ran on start');
  await withRedis(redisUrl1, async (r) => {
    assert.equal(await r.set('launcher:probe', 'kept'), 'OK');
    assert.equal(await r.get('launcher:probe'), 'kept');
  });

  // A second launcher on the same data directory is refused while the first lives.
  const rival = startLauncher(dataDir, env, ['--services-only']);
  launchers.push(rival);
  assert.equal(await rival.exited, 1);
  assert.match(rival.output(), /already running/);

  first.child.kill('SIGKILL');
  await first.exited;

  const second = startLauncher(dataDir, env, ['--services-only']);
  launchers.push(second);
  const e2 = await endpointsOf(dataDir, second);
  assert.match(second.output(), /did not stop cleanly: recovering/);
  assert.ok(!isAlive(e1.services.postgres?.pid ?? -1), 'the orphaned PostgreSQL was stopped');
  assert.ok(!isAlive(e1.services.redis?.pid ?? -1), 'the orphaned Redis was stopped');
  await withPg(e2.services.postgres?.url ?? assert.fail('no postgres url'), async (c) => {
    const rows = await c.query<{ note: string }>('SELECT note FROM launcher_probe WHERE id = 1');
    assert.equal(rows.rows[0]?.note, 'kept across kill -9');
    const info = await c.query<{ deployment_id: string }>('SELECT deployment_id FROM paystream_schema_info');
    assert.equal(info.rows[0]?.deployment_id, deploymentId, 'migrations are not re-applied');
  });
  await withRedis(e2.services.redis?.url ?? assert.fail('no redis url'), async (r) => {
    assert.equal(await r.get('launcher:probe'), 'kept');
  });

  second.child.kill('SIGTERM');
  assert.equal(await second.exited, 0, second.output());
  assert.ok(!existsSync(join(dataDir, 'endpoints.json')), 'endpoints.json is removed on a clean stop');
  assert.ok(!isAlive(e2.services.postgres?.pid ?? -1), 'PostgreSQL stopped');
  assert.ok(!isAlive(e2.services.redis?.pid ?? -1), 'Redis stopped');
});

test('embedded defaults: the launcher embeds the Kafka broker and the registry too, and their data survives a kill -9', { timeout: 240_000 }, async (t) => {
  const { Kafka, logLevel } = await import('kafkajs');
  const dataDir = mkdtempSync(join(tmpdir(), 'paystream-launcher-kafka-'));
  const launchers: Launcher[] = [];
  t.after(async () => {
    for (const l of launchers) if (l.child.exitCode === null) l.child.kill('SIGKILL');
    const state = join(dataDir, 'launcher.json');
    if (existsSync(state)) {
      for (const c of (JSON.parse(readFileSync(state, 'utf8')) as { children: { pid: number }[] }).children) {
        if (isAlive(c.pid)) process.kill(c.pid, 'SIGKILL');
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  });
  const kafkaAt = (bootstrap: string) => new Kafka({ clientId: 'launcher-test', brokers: [bootstrap], logLevel: logLevel.NOTHING });

  const first = startLauncher(dataDir, {}, ['--services-only']);
  launchers.push(first);
  const e1 = await endpointsOf(dataDir, first);
  assert.equal(e1.services.kafka?.embedded, true);
  assert.equal(e1.services.schemaRegistry?.embedded, true);
  const subjects = await fetch(`${e1.services.schemaRegistry?.url}/subjects`);
  assert.equal(subjects.status, 200, 'the embedded schema registry answers');
  const admin = kafkaAt(e1.services.kafka?.url ?? assert.fail('no kafka')).admin();
  await admin.connect();
  const topics = await admin.listTopics();
  await admin.disconnect();
  for (const topic of ['payments.commands', 'payments.events', '_schemas']) assert.ok(topics.includes(topic), `catalogue topic ${topic} provisioned`);
  const producer = kafkaAt(e1.services.kafka?.url ?? assert.fail('no kafka')).producer({ idempotent: true });
  await producer.connect();
  await producer.send({ topic: 'launcher-probe', acks: -1, messages: [{ key: 'k', value: 'kept across kill -9' }] });
  await producer.disconnect();

  first.child.kill('SIGKILL');
  await first.exited;
  const second = startLauncher(dataDir, {}, ['--services-only']);
  launchers.push(second);
  const e2 = await endpointsOf(dataDir, second);
  assert.ok(!isAlive(e1.services.kafka?.pid ?? -1), 'the orphaned broker was stopped');
  assert.ok(!isAlive(e1.services.schemaRegistry?.pid ?? -1), 'the orphaned registry was stopped');

  const consumer = kafkaAt(e2.services.kafka?.url ?? assert.fail('no kafka')).consumer({ groupId: 'launcher-probe', sessionTimeout: 6000, heartbeatInterval: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic: 'launcher-probe', fromBeginning: true });
  const seen: string[] = [];
  await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value?.toString() ?? '') });
  await waitUntil(() => (seen.length > 0 ? true : undefined), { timeoutMs: 30_000, what: 'the record produced before the kill -9' });
  await consumer.disconnect();
  assert.deepEqual(seen, ['kept across kill -9']);

  // A role started alone finds the services through the launcher's endpoints.json.
  const api = spawn(process.execPath, ['--import', 'tsx', CLI, 'run', 'api', '--data-dir', dataDir], {
    env: { ...process.env, API_PORT: '0', METRICS_PORT: '0', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => void (api.exitCode === null && api.kill('SIGKILL')));
  let apiOut = '';
  api.stdout.on('data', (c: Buffer) => (apiOut += c.toString()));
  api.stderr.on('data', (c: Buffer) => (apiOut += c.toString()));
  const apiExited = new Promise<number | null>((resolve) => api.once('exit', resolve));
  const apiUrl = await waitUntil(() => /api is running: api (http:\/\/\S+),/.exec(apiOut)?.[1], { timeoutMs: 60_000, what: 'paystream run api to listen' });
  assert.equal((await fetch(`${apiUrl}/healthz`)).status, 200);
  // Ready once its own connections to Kafka, Redis and PostgreSQL are up.
  await waitUntil(async () => ((await fetch(`${apiUrl}/readyz`)).status === 200 ? true : undefined), { timeoutMs: 30_000, what: 'the API to report ready' });
  api.kill('SIGTERM');
  assert.equal(await apiExited, 0, apiOut);

  // Ctrl-C in a terminal delivers SIGINT.
  second.child.kill('SIGINT');
  assert.equal(await second.exited, 0, second.output());
  assert.ok(!existsSync(join(dataDir, 'endpoints.json')));
  assert.ok(!isAlive(e2.services.kafka?.pid ?? -1), 'broker stopped');
  assert.ok(!isAlive(e2.services.schemaRegistry?.pid ?? -1), 'registry stopped');
});
