import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { waitUntil } from '../../lib/wait.ts';
import { isAlive } from '../../ops/embedded/processes.ts';
import { signatureHeaders } from '../../api/signature.ts';
import { startUp, type Up } from '../helpers/up.ts';


function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function banner(up: Up): { api: string; keyId: string; secret: string; pids: Map<string, number> } | undefined {
  const out = up.output();
  if (up.child.exitCode !== null) throw new Error(`paystream up exited early:\n${out}`);
  const api = /^API {7}(\S+)$/m.exec(out)?.[1];
  const key = /demo merchant: key id (\S+), secret (\S+)/.exec(out);
  if (api === undefined || key === null) return undefined;
  const pids = new Map([...out.matchAll(/^ {2}(\S+) +pid (\d+)/gm)].map((m) => [m[1] ?? '', Number(m[2])]));
  return { api, keyId: key[1] ?? '', secret: key[2] ?? '', pids };
}

async function createPayment(api: string, keyId: string, secret: string): Promise<Response> {
  const body = JSON.stringify({ merchantOrderId: `up-${randomUUID()}`, amountMinor: 1999, currency: 'EUR', method: 'card', customer: { id: 'c-1', ip: '203.0.113.5', deviceId: 'd-1' } });
  const headers = signatureHeaders(keyId, secret, { timestamp: String(Math.floor(Date.now() / 1000)), nonce: randomUUID(), method: 'POST', pathWithQuery: '/v1/payments', body });
  return fetch(`${api}/v1/payments`, { method: 'POST', body, headers: { ...headers, 'content-type': 'application/json', 'idempotency-key': randomUUID() } });
}

test('npm start runs every role under supervision: a killed role comes back, Ctrl-C stops all, a second start keeps the data', { timeout: 300_000 }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'paystream-up-'));
  const ups: Up[] = [];
  t.after(async () => {
    // SIGTERM first, so the launcher stops the roles and services it started in their own process groups.
    for (const up of ups) {
      if (up.child.exitCode !== null) continue;
      up.child.kill('SIGTERM');
      await Promise.race([up.exited, new Promise((resolve) => setTimeout(resolve, 60_000).unref())]);
      if (up.child.exitCode === null) up.child.kill('SIGKILL');
    }
    rmSync(dataDir, { recursive: true, force: true });
  });
  const apiPort = await freePort();

  // API_PORT=0: up picks the port, and the wallets are told to call back to that same port.
  const first = startUp(dataDir, 0);
  ups.push(first);
  const b1 = await waitUntil(() => banner(first), { timeoutMs: 180_000, intervalMs: 200, what: 'the npm start banner' });
  assert.ok(b1.pids.has('api'), first.output());
  for (const role of ['router', 'risk', 'channel', 'result', 'ledger', 'metrics', 'webhooks', 'sweeper']) assert.ok(b1.pids.has(role), `${role} runs`);
  const wallets = JSON.parse(readFileSync(join(dataDir, 'channels.json'), 'utf8')) as Record<string, { config: { notifyUrl?: string } }>;
  assert.equal(new URL(wallets.wallet_a?.config.notifyUrl ?? 'http://x:1/').port, new URL(b1.api).port, 'wallet callbacks go to the port the API listens on');
  assert.ok(existsSync(join(dataDir, 'bank.json')), 'the sandbox bank is described for the ledger role');
  assert.match(first.output(), /curl -sS http:\/\/\S+\/v1\/payments/, 'a copy-paste curl is printed');
  const created = await createPayment(b1.api, b1.keyId, b1.secret);
  assert.equal(created.status, 202, await created.clone().text());

  // A role that dies is started again by the supervisor.
  const apiPid = b1.pids.get('api') ?? assert.fail('no api pid');
  process.kill(apiPid, 'SIGKILL');
  await waitUntil(async () => ((await fetch(`${b1.api}/healthz`).catch(() => undefined))?.status === 200 && !isAlive(apiPid) ? true : undefined), { timeoutMs: 120_000, intervalMs: 200, what: 'the API to be restarted' });
  assert.match(first.output(), /role exited; starting it again/);
  assert.equal((await createPayment(b1.api, b1.keyId, b1.secret)).status, 202);

  // Ctrl-C: SIGINT to the launcher (roles run in their own process groups, stopped in order).
  first.child.kill('SIGINT');
  assert.equal(await first.exited, 0, first.output());
  for (const [role, pid] of b1.pids) assert.ok(!isAlive(pid) || pid === apiPid, `${role} stopped`);
  await waitUntil(() => ([...b1.pids.values()].every((pid) => !isAlive(pid)) ? true : undefined), { timeoutMs: 30_000, what: 'every role process to be gone' });

  const second = startUp(dataDir, apiPort);
  ups.push(second);
  const b2 = await waitUntil(() => banner(second), { timeoutMs: 180_000, intervalMs: 200, what: 'the second banner' });
  assert.equal(b2.keyId, b1.keyId, 'the demo merchant is kept');
  const list = await fetch(`${b2.api}/v1/payments?limit=10`, { headers: signatureHeaders(b2.keyId, b2.secret, { timestamp: String(Math.floor(Date.now() / 1000)), nonce: randomUUID(), method: 'GET', pathWithQuery: '/v1/payments?limit=10', body: '' }) });
  assert.equal(list.status, 200);
  const listed = (await list.json()) as { data?: unknown[]; items?: unknown[] };
  assert.equal((listed.data ?? listed.items ?? []).length, 2, 'both payments survive the restart');
  second.child.kill('SIGTERM');
  assert.equal(await second.exited, 0, second.output());
});
