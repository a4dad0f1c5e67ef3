import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { hmacSha256 } from '../signing.ts';
import { applyBehaviourPatch, BehaviourError, DEFAULT_BEHAVIOUR, sampleLatencyMs } from './behaviour.ts';
import { generateSandboxCredentials } from './credentials.ts';
import { waitUntil } from '../../../lib/wait.ts';
import { seededRandom } from './random.ts';
import { startSandboxAcquirer, type RunningSandbox } from './server.ts';

const creds = generateSandboxCredentials('acq_alpha');
let alpha: RunningSandbox;

before(async () => {
  alpha = await startSandboxAcquirer('acq_alpha', { credentials: creds, seed: 7 });
});
after(async () => {
  await alpha.close();
});

function signedAlpha(path: string, body: string, tamper = false): RequestInit {
  const ts = String(Date.now());
  assert.equal(creds.channelId, 'acq_alpha');
  const sig = hmacSha256(creds.merchant.secret, `${ts}.POST.${path}.${body}`, 'hex');
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-alpha-key-id': creds.merchant.keyId, 'x-alpha-timestamp': ts, 'x-alpha-signature': tamper ? sig.replace(/^./, (c) => (c === '0' ? '1' : '0')) : sig },
    body,
  };
}

test('sandbox admin endpoint changes behaviour at run time and refuses bad patches', async () => {
  const patched = await fetch(`${alpha.url}/admin/behaviour`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ declineRate: 0.25, latency: { kind: 'uniform', minMs: 1, maxMs: 3 }, statement: { extraCount: 2 } }) });
  assert.equal(patched.status, 200);
  assert.equal(alpha.admin.behaviour().declineRate, 0.25);
  assert.deepEqual(alpha.admin.behaviour().latency, { kind: 'uniform', minMs: 1, maxMs: 3 });
  assert.equal(alpha.admin.behaviour().statement.extraCount, 2);
  assert.equal(alpha.admin.behaviour().errorRate, 0, 'fields not named keep their value');
  for (const bad of [{ declineRate: 2 }, { latency: { kind: 'gamma' } }, { outage: 'yes' }, { surprise: 1 }, { callbacks: { maxAttempts: 1000 } }]) {
    const res = await fetch(`${alpha.url}/admin/behaviour`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(bad) });
    assert.equal(res.status, 400, JSON.stringify(bad));
  }
  alpha.admin.setBehaviour({ declineRate: 0, latency: { kind: 'fixed', ms: 0 }, statement: { extraCount: 0 } });
});

test('sandbox acquirer refuses a tampered or unsigned request and charges nothing', async () => {
  const path = '/v2/payments';
  const body = JSON.stringify({ request_id: 'p1:1', merchant_reference: 'p1', amount_minor: '500', currency: 'EUR', card: { token: 'tok_ok', exp_month: 12, exp_year: 2099 } });
  const tampered = await fetch(`${alpha.url}${path}`, signedAlpha(path, body, true));
  assert.equal(tampered.status, 401);
  const unsigned = await fetch(`${alpha.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  assert.equal(unsigned.status, 401);
  assert.equal(alpha.journal.size, 0);
  const good = await fetch(`${alpha.url}${path}`, signedAlpha(path, body));
  assert.equal(good.status, 201);
  assert.equal(alpha.journal.charged().length, 1);
  const journal = (await (await fetch(`${alpha.url}/admin/journal`)).json()) as { entries: Array<{ amountMinor: string; requestId: string }> };
  assert.deepEqual(journal.entries.map((e) => [e.requestId, e.amountMinor]), [['p1:1', '500']]);
});

test('seeded latency draws repeat exactly and stay within bounds', () => {
  const d = applyBehaviourPatch(structuredClone(DEFAULT_BEHAVIOUR), { latency: { kind: 'lognormal', medianMs: 100, sigma: 0.5 } }).latency;
  const a = seededRandom(42);
  const b = seededRandom(42);
  const drawsA = Array.from({ length: 200 }, () => sampleLatencyMs(d, a));
  const drawsB = Array.from({ length: 200 }, () => sampleLatencyMs(d, b));
  assert.deepEqual(drawsA, drawsB);
  const sorted = [...drawsA].sort((x, y) => x - y);
  const median = sorted[100] ?? 0;
  assert.ok(median > 70 && median < 140, `median ${median}`);
  assert.throws(() => applyBehaviourPatch(DEFAULT_BEHAVIOUR, { latency: { kind: 'fixed', ms: 10_000_000 } }), BehaviourError);
});

test('two sandboxes with the same seed make the same decisions and references', async () => {
  const runs = [];
  for (let i = 0; i < 2; i += 1) {
    const c = generateSandboxCredentials('acq_alpha');
    assert.equal(c.channelId, 'acq_alpha');
    const s = await startSandboxAcquirer('acq_alpha', { credentials: c, seed: 99, behaviour: { declineRate: 0.5 } });
    try {
      for (let k = 0; k < 20; k += 1) {
        const path = '/v2/payments';
        const body = JSON.stringify({ request_id: `s-${k}:1`, merchant_reference: `s-${k}`, amount_minor: String(100 + k), currency: 'EUR', card: { token: 'tok_ok', exp_month: 12, exp_year: 2099 } });
        const ts = String(Date.now());
        const res = await fetch(`${s.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-alpha-key-id': c.merchant.keyId, 'x-alpha-timestamp': ts, 'x-alpha-signature': hmacSha256(c.merchant.secret, `${ts}.POST.${path}.${body}`, 'hex') }, body });
        assert.equal(res.status, 201);
      }
      runs.push(s.journal.entries().map((e) => (e.kind === 'payment' ? [e.reference, e.state, e.declineReason] : [])));
    } finally {
      await s.close();
    }
  }
  assert.deepEqual(runs[0], runs[1]);
  const states = new Set(runs[0]?.map((r) => r[1]));
  assert.ok(states.has('approved') && states.has('declined'), 'the rate produced both outcomes');
});

test('sandbox statement and its truth are served over the admin endpoint', async () => {
  alpha.admin.setBehaviour({ statement: { extraCount: 1 } });
  const date = new Date().toISOString().slice(0, 10);
  const res = await fetch(`${alpha.url}/admin/statement?date=${date}`);
  const truth = (await (await fetch(`${alpha.url}/admin/statement/truth?date=${date}`)).json()) as { discrepancies: Array<{ kind: string }> };
  alpha.admin.setBehaviour({ statement: { extraCount: 0 } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-disposition') ?? '', /alpha-settlement-\d{8}\.csv/);
  const text = await res.text();
  assert.ok(text.startsWith('id,request_id,merchant_reference,'));
  assert.deepEqual(truth.discrepancies.map((d) => d.kind), ['extra']);
  assert.equal((await fetch(`${alpha.url}/admin/statement?date=yesterday`)).status, 400);
});

test('a client that hangs up while the sandbox is still answering does not disturb it', async () => {
  alpha.admin.setBehaviour({ latency: { kind: 'fixed', ms: 200 } });
  const path = '/v2/payments';
  const body = JSON.stringify({ request_id: 'hang:1', merchant_reference: 'hang', amount_minor: '700', currency: 'EUR', card: { token: 'tok_ok', exp_month: 12, exp_year: 2099 } });
  await assert.rejects(fetch(`${alpha.url}${path}`, { ...signedAlpha(path, body), signal: AbortSignal.timeout(30) }), (err: Error) => err.name === 'TimeoutError');
  alpha.admin.setBehaviour({ latency: { kind: 'fixed', ms: 0 } });
  await waitUntil(() => (alpha.journal.payment('hang:1') !== undefined ? true : undefined), { timeoutMs: 5_000, what: 'the charge' });
  const again = await fetch(`${alpha.url}${path}`, signedAlpha(path, body));
  assert.equal(again.status, 200, 'the repeat gets the first answer');
  assert.equal(((await again.json()) as { status: string }).status, 'CAPTURED');
});

test('sandbox writes its daily statement file into a directory under its own name', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sandbox-statement-'));
  try {
    const date = new Date().toISOString().slice(0, 10);
    const path = alpha.admin.writeStatement(date, dir);
    assert.equal(path, join(dir, `alpha-settlement-${date.replaceAll('-', '')}.csv`));
    assert.equal(readFileSync(path, 'utf8'), alpha.admin.statement(date).content);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
