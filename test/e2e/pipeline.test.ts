/**
 * The whole pipeline as `npm start` runs it: 10,000 payments (E2E_PAYMENTS to change) through the
 * API with the sandbox acquirers declining, failing, timing out, duplicating and losing callbacks,
 * while the channel, result and ledger roles are SIGKILLed and restarted by the supervisor.
 * Afterwards every payment has a final status, `paystream check` is clean (each outcome agrees with
 * the acquirers' journals, nothing charged twice) and so is the ledger check.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKafka } from '../../lib/kafka.ts';
import { createLogger } from '../../lib/logger.ts';
import { createPool } from '../../lib/postgres.ts';
import { Secret } from '../../lib/secret.ts';
import { waitUntil } from '../../lib/wait.ts';
import { AvroCodec } from '../../schemas/codec.ts';
import type { Endpoints } from '../../ops/embedded/launcher.ts';
import { isAlive } from '../../ops/embedded/processes.ts';
import { runCheck } from '../../ops/check/check.ts';
import { runDemo, formatSummary } from '../../ops/demo/demo.ts';
import { ROLES_FILE } from '../../ops/cli/up.ts';
import { ROLES } from '../../ops/cli/roles.ts';

const CLI = join(import.meta.dirname, '../../ops/cli/main.ts');
const PAYMENTS = Number(process.env.E2E_PAYMENTS ?? 10_000);
const RATE = Number(process.env.E2E_RATE ?? 100);
const CHAOS_ROLES = ['channel', 'result', 'ledger'];
const logger = createLogger({ level: 'silent' });

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Realistic trouble at every acquirer. */
const BEHAVIOUR: Record<string, unknown> = {
  acq_alpha: { latency: { kind: 'lognormal', medianMs: 20, sigma: 0.5 }, declineRate: 0.08, errorRate: 0.03, timeoutRate: 0.01, timeoutHoldMs: 1_500 },
  acq_beta: { latency: { kind: 'lognormal', medianMs: 30, sigma: 0.5 }, declineRate: 0.05, errorRate: 0.02, timeoutRate: 0.01, timeoutHoldMs: 1_500 },
  wallet_a: { latency: { kind: 'fixed', ms: 10 }, completionDelay: { kind: 'uniform', minMs: 20, maxMs: 400 }, completionDeclineRate: 0.1, callbacks: { duplicateRate: 0.2, lossRate: 0.1, retryDelayMs: 200, maxAttempts: 3 } },
  wallet_b: { latency: { kind: 'fixed', ms: 10 }, completionDelay: { kind: 'uniform', minMs: 20, maxMs: 400 }, completionDeclineRate: 0.1, callbacks: { duplicateRate: 0.2, lossRate: 0.1, retryDelayMs: 200, maxAttempts: 3 } },
};

test(`${PAYMENTS} payments through npm start with failing acquirers and SIGKILLed roles: every payment final, check and ledger check clean`, { timeout: 1_200_000 }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'paystream-e2e-'));
  const apiPort = await freePort();
  const up: ChildProcess = spawn(process.execPath, ['--import', 'tsx', CLI, 'up', '--data-dir', dataDir], {
    env: { ...process.env, API_PORT: String(apiPort), LOG_LEVEL: 'warn', SWEEP_SCHEDULE: '*/2 * * * * *', SWEEP_STUCK_AFTER_S: '5', PAYMENT_EXPIRY_S: '3600' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  up.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  up.stderr?.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-200_000)));
  const exited = new Promise<number | null>((resolve) => up.once('exit', resolve));
  t.after(async () => {
    // SIGTERM first: the launcher stops its roles and services (they run in process groups of
    // their own and would outlive a SIGKILLed launcher until the next start on this directory).
    if (up.exitCode === null) {
      up.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 60_000).unref())]);
      if (up.exitCode === null) up.kill('SIGKILL');
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  const banner = await waitUntil(
    () => {
      if (up.exitCode !== null) throw new Error(`paystream up exited:\n${out.slice(-5000)}`);
      const api = /^API {7}(\S+)$/m.exec(out)?.[1];
      const key = /demo merchant: key id (\S+), secret (\S+)/.exec(out);
      return api === undefined || key === null ? undefined : { api, keyId: key[1] ?? '', secret: key[2] ?? '' };
    },
    { timeoutMs: 240_000, intervalMs: 250, what: 'the npm start banner' },
  );
  const endpoints = JSON.parse(readFileSync(join(dataDir, 'endpoints.json'), 'utf8')) as Endpoints;
  for (const [channelId, behaviour] of Object.entries(BEHAVIOUR)) {
    const url = endpoints.services[`sandbox:${channelId}`]?.url ?? assert.fail(`no sandbox ${channelId}`);
    const res = await fetch(`${url}/admin/behaviour`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(behaviour) });
    assert.equal(res.status, 200, await res.text());
  }

  const kafka = createKafka({ brokers: (endpoints.services.kafka?.url ?? '').split(','), clientId: 'e2e', logger });
  const codec = new AvroCodec({ registryUrl: endpoints.services.schemaRegistry?.url ?? '', clientId: 'e2e', autoRegister: false });
  const pool = createPool({ url: new Secret(endpoints.services.postgres?.url ?? ''), logger, applicationName: 'e2e', poolSize: 2 });
  t.after(() => pool.end());

  // Chaos: at three points of the traffic, SIGKILL one instance each of channel, result and ledger.
  const kills: string[] = [];
  const killedPids = new Set<number>();
  const chaosRoles = CHAOS_ROLES.filter((role) => role in ROLES);
  let sent = 0;
  const chaos = (async () => {
    for (const fraction of [0.2, 0.45, 0.7]) {
      await waitUntil(() => (sent >= PAYMENTS * fraction ? true : undefined), { timeoutMs: 900_000, intervalMs: 100, what: `${fraction} of the traffic` });
      for (const role of chaosRoles) {
        // The role's current instance (after an earlier kill, the one the supervisor started since).
        const pid = await waitUntil(
          () => {
            const pids = existsSync(join(dataDir, ROLES_FILE)) ? (JSON.parse(readFileSync(join(dataDir, ROLES_FILE), 'utf8')) as Record<string, number>) : {};
            const current = pids[role];
            return current !== undefined && isAlive(current) && !killedPids.has(current) ? current : undefined;
          },
          { timeoutMs: 120_000, intervalMs: 100, what: `a running ${role} instance` },
        );
        process.kill(pid, 'SIGKILL');
        killedPids.add(pid);
        kills.push(`${role}@${sent}`);
      }
    }
  })();

  const summary = await runDemo({
    apiUrl: banner.api,
    merchant: { keyId: banner.keyId, secret: banner.secret },
    kafka,
    codec,
    payments: PAYMENTS,
    ratePerS: RATE,
    seed: 42,
    settleWaitMs: 600_000,
    onSent: () => void (sent += 1),
  });
  await chaos;
  const report = formatSummary(summary);
  const check = await runCheck({ pool, endpoints, logger });
  assert.equal(kills.length, 3 * chaosRoles.length, `roles were killed during the traffic: ${kills.join(', ')}`);
  assert.equal(summary.accepted, PAYMENTS, report);
  assert.equal(summary.finals.IN_FLIGHT ?? 0, 0, `every accepted payment reached a final status\n${report}\n${check.report}`);

  if (!check.ok) {
    // Each offending payment's whole story, to find the cause from the test output alone.
    const { describePayment } = await import('../../ops/cli/payments.ts');
    const ids = [...new Set(check.checks.flatMap((c) => c.examples.map((e) => /^(\S+?):/.exec(e)?.[1] ?? '')).filter((id) => id.startsWith('pay_')))].slice(0, 3);
    const stories = await Promise.all(ids.map((id) => describePayment(pool, id).catch((err: unknown) => `${id}: ${String(err)}`)));
    const journals = await Promise.all(ids.map(async (id) => `${id} at the channels: ${JSON.stringify(await Promise.all(Object.entries(endpoints.services).filter(([n]) => n.startsWith('sandbox:')).map(async ([n, s]) => [n, ((await (await fetch(`${s?.url}/admin/journal`)).json()) as { entries: Array<{ merchantRef?: string }> }).entries.filter((e) => e.merchantRef === id)])))}`));
    assert.fail(`paystream check:\n${check.report}\n${report}\n${stories.join('\n')}\n${journals.join('\n')}`);
  }

  up.kill('SIGTERM');
  assert.equal(await exited, 0, out.slice(-3000));
});
