import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitUntil } from '../../lib/wait.ts';

const CLI = join(import.meta.dirname, '../../ops/cli/main.ts');

test('paystream broker passes its own flags to the broker and stops cleanly on SIGTERM', { timeout: 60_000 }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'paystream-cli-broker-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'broker', '--data-dir', dataDir, '--port', '0', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => void (child.exitCode === null && child.kill('SIGKILL')));
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const line = await waitUntil(() => out.split('\n').find((l) => l.includes('"broker listening"')), { timeoutMs: 30_000, what: `the broker listening line in:\n${out}` });
  const announced = JSON.parse(line) as { port: number; host: string };
  assert.equal(announced.host, '127.0.0.1');
  assert.ok(announced.port > 0);
  child.kill('SIGTERM');
  assert.equal(await exited, 0, out);
});

test('paystream rejects an unknown command with a usage error', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'nonsense'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.notEqual(code, 0);
  assert.match(err, /unknown command 'nonsense'/);
});

test('paystream reports an invalid configuration variable by name and exits 2', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'config'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, API_PORT: 'eighty' } });
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 2);
  assert.match(err, /API_PORT must be an integer from 0 to 65535/);
});

test('paystream run refuses an unknown role and names the known ones', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'run', 'nope'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 1);
  const roles = /unknown role "nope"; roles: (.*)$/m.exec(err)?.[1]?.split(', ') ?? [];
  for (const role of ['api', 'router', 'risk', 'channel', 'result', 'ledger', 'metrics', 'webhooks', 'sweeper']) assert.ok(roles.includes(role), `${role} is named: ${err}`);
});
