import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { generateSandboxCredentials } from '../sandbox/credentials.ts';
import { startSandboxAcquirer, type RunningSandbox } from '../sandbox/server.ts';
import { startTamperProxy, type TamperProxy } from '../testing/tamper-proxy.ts';
import type { ChannelAdapter, CreatePaymentRequest } from '../types.ts';
import { createBetaAdapter } from './adapter.ts';
import { fromMoney, toMoney } from './transformers.ts';

// 23:30 UTC on the 20th is already the 21st in acq_beta's UTC+01:00 business day.
const startMs = Date.now();
const clock = { nowMs: () => Date.parse('2026-11-20T23:30:00Z') + (Date.now() - startMs) };
const creds = generateSandboxCredentials('acq_beta');
assert.equal(creds.channelId, 'acq_beta');
let sandbox: RunningSandbox;
let proxy: TamperProxy;
let beta: ChannelAdapter;
let viaProxy: ChannelAdapter;

before(async () => {
  sandbox = await startSandboxAcquirer('acq_beta', { credentials: creds, seed: 12, clock });
  proxy = await startTamperProxy(sandbox.url);
  beta = createBetaAdapter({ baseUrl: sandbox.url, credentials: creds.merchant, timeoutMs: 2_000, clock });
  viaProxy = createBetaAdapter({ baseUrl: proxy.url, credentials: creds.merchant, timeoutMs: 2_000, clock });
});
after(async () => {
  await proxy.close();
  await sandbox.close();
});

let n = 0;
function payment(overrides: Partial<CreatePaymentRequest> = {}): CreatePaymentRequest {
  n += 1;
  return { paymentId: `b-${n}`, attemptId: `b-${n}:1`, amountMinor: 4999n, currency: 'EUR', instrument: { kind: 'card', token: 'tok_mc', expiryMonth: 3, expiryYear: 2029 }, ...overrides };
}

test('acq_beta money is major units and converts exactly both ways', () => {
  assert.deepEqual(toMoney(123_456_789_012_345n, 'EUR'), { value: '1234567890123.45', currency: 'EUR' });
  assert.deepEqual(fromMoney({ value: '1234567890123.45', currency: 'EUR' }), { amountMinor: 123_456_789_012_345n, currency: 'EUR' });
  assert.deepEqual(toMoney(5000n, 'JPY'), { value: '5000', currency: 'JPY' });
  assert.throws(() => toMoney(1000n, 'KWD'), (err: { code?: string }) => err.code === 'invalid_request');
  assert.throws(() => fromMoney({ value: '12.345', currency: 'EUR' }), (err: { code?: string }) => err.code === 'malformed_response');
});

test('acq_beta approves in EUR and JPY, reports status and refunds', async () => {
  const eur = payment({ amountMinor: 123_456_789_012_345n });
  const jpy = payment({ amountMinor: 5000n, currency: 'JPY' });
  const a = await beta.createPayment(eur);
  const b = await beta.createPayment(jpy);
  assert.ok(a.status === 'approved' && b.status === 'approved');
  assert.equal(a.amountMinor, 123_456_789_012_345n);
  assert.equal(b.amountMinor, 5000n);
  assert.deepEqual(await beta.queryStatus({ attemptId: jpy.attemptId }), b);
  const refund = await beta.refund({ refundId: 'b-r1', attemptId: jpy.attemptId, channelReference: b.channelReference, amountMinor: 5000n, currency: 'JPY' });
  assert.ok(refund.status === 'refunded' && refund.amountMinor === 5000n);
  const after = await beta.queryStatus({ attemptId: jpy.attemptId });
  assert.ok(after.status === 'refunded' && after.refundedMinor === 5000n);
  assert.deepEqual(await beta.queryStatus({ attemptId: 'never:1' }), { status: 'not_found' });
});

test('acq_beta declines carry reason codes; a repeated key charges once', async () => {
  const nsf = await beta.createPayment(payment({ instrument: { kind: 'card', token: 'tok_insufficient_funds', expiryMonth: 1, expiryYear: 2030 } }));
  assert.ok(nsf.status === 'declined' && nsf.reason === 'insufficient_funds' && nsf.channelReasonCode === 'NSF');
  const exp = await beta.createPayment(payment({ instrument: { kind: 'card', token: 'tok_mc', expiryMonth: 1, expiryYear: 2025 } }));
  assert.ok(exp.status === 'declined' && exp.reason === 'expired_card' && exp.channelReasonCode === 'EXP');
  const p = payment();
  const answers = await Promise.all([0, 1, 2].map(() => beta.createPayment(p)));
  for (const a of answers) assert.deepEqual(a, answers[0]);
  assert.equal(sandbox.journal.charged().filter((e) => e.requestId === p.attemptId).length, 1);
});

test('acq_beta 5xx is not charged; a timeout is ambiguous until a status query says', async () => {
  sandbox.admin.setBehaviour({ errorRate: 1 });
  const failed = await beta.createPayment(payment());
  sandbox.admin.setBehaviour({ errorRate: 0, timeoutRate: 1, timeoutHoldMs: 10_000 });
  const p = payment();
  const timedOut = await beta.createPayment(p, { timeoutMs: 150 });
  sandbox.admin.setBehaviour({ timeoutRate: 0 });
  assert.ok(failed.status === 'error' && failed.error.code === 'channel_unavailable');
  assert.ok(timedOut.status === 'ambiguous' && timedOut.error.code === 'channel_timeout');
  assert.equal((await beta.queryStatus({ attemptId: p.attemptId })).status, 'approved');
});

test('acq_beta signatures catch a tampered request and a tampered answer', async () => {
  proxy.tamperRequest = (body) => body.replace('"49.99"', '"0.01"');
  const p = payment();
  const r1 = await viaProxy.createPayment(p);
  proxy.tamperRequest = null;
  assert.ok(r1.status === 'error' && r1.error.code === 'invalid_request', JSON.stringify(r1));
  assert.equal(sandbox.journal.payment(p.attemptId), undefined);
  proxy.tamperAnswer = (body) => body.replace('"49.99"', '"0.01"');
  const r2 = await viaProxy.createPayment(payment());
  proxy.tamperAnswer = null;
  assert.ok(r2.status === 'ambiguous' && r2.error.code === 'bad_signature', JSON.stringify(r2));
});

test('acq_beta statement in UTC+01:00 with two-decimal amounts parses back to the journal', async () => {
  const file = sandbox.admin.statement('2026-11-21');
  const parsed = beta.parseStatement(file.content);
  assert.deepEqual(parsed.rejected, []);
  assert.equal(parsed.statementDate, '2026-11-21');
  assert.ok(file.content.includes(';1234567890123.45;'), 'major units with two decimals');
  assert.ok(file.content.includes(';JPY;5000.00;'), 'zero-decimal currencies also carry two decimals');
  const charged = sandbox.journal.charged();
  assert.equal(parsed.lines.filter((l) => l.kind === 'payment').length, charged.length);
  for (const e of charged) {
    const line = parsed.lines.find((l) => l.channelReference === e.reference && l.kind === 'payment');
    assert.ok(line !== undefined);
    assert.equal(line.amountMinor, e.amountMinor);
    assert.equal(line.feeMinor, e.feeMinor);
    assert.equal(line.bookedAtMs, Math.floor((e.completedAtMs ?? 0) / 1000) * 1000, 'wall time in UTC+01:00, to the second');
    assert.equal(line.paymentId, e.merchantRef);
  }
  assert.equal(beta.parseStatement(sandbox.admin.statement('2026-11-20').content).lines.length, 0, 'nothing was booked on the 20th in UTC+01:00');
  sandbox.admin.setBehaviour({ statement: { feeRate: 1 } });
  const skewed = beta.parseStatement(sandbox.admin.statement('2026-11-21').content);
  sandbox.admin.setBehaviour({ statement: { feeRate: 0 } });
  for (const line of skewed.lines) {
    const truth = parsed.lines.find((l) => l.lineNumber === line.lineNumber);
    assert.ok(truth !== undefined && line.feeMinor > truth.feeMinor);
  }
});
