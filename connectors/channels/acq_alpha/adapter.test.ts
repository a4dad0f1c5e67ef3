import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { waitUntil } from '../../../lib/wait.ts';
import { generateSandboxCredentials } from '../sandbox/credentials.ts';
import { startSandboxAcquirer, type RunningSandbox } from '../sandbox/server.ts';
import { closedPortUrl } from '../testing/closed-port.ts';
import { startTamperProxy, type TamperProxy } from '../testing/tamper-proxy.ts';
import type { ChannelAdapter, CreatePaymentRequest } from '../types.ts';
import { createAlphaAdapter } from './adapter.ts';

// A fixed business day so statement dates are known; both sides share the clock.
const startMs = Date.now();
const clock = { nowMs: () => Date.parse('2026-11-20T10:00:00Z') + (Date.now() - startMs) };
const creds = generateSandboxCredentials('acq_alpha');
assert.equal(creds.channelId, 'acq_alpha');
let sandbox: RunningSandbox;
let proxy: TamperProxy;
let alpha: ChannelAdapter;
let viaProxy: ChannelAdapter;

before(async () => {
  sandbox = await startSandboxAcquirer('acq_alpha', { credentials: creds, seed: 11, clock });
  proxy = await startTamperProxy(sandbox.url);
  alpha = createAlphaAdapter({ baseUrl: sandbox.url, credentials: creds.merchant, timeoutMs: 2_000, clock });
  viaProxy = createAlphaAdapter({ baseUrl: proxy.url, credentials: creds.merchant, timeoutMs: 2_000, clock });
});
after(async () => {
  await proxy.close();
  await sandbox.close();
});

let n = 0;
function payment(overrides: Partial<CreatePaymentRequest> = {}): CreatePaymentRequest {
  n += 1;
  return { paymentId: `pay-${n}`, attemptId: `pay-${n}:1`, amountMinor: 1250n, currency: 'EUR', instrument: { kind: 'card', token: 'tok_visa', expiryMonth: 12, expiryYear: 2030 }, ...overrides };
}

test('acq_alpha approves, reports status, refunds and the journal agrees', async () => {
  const p = payment({ amountMinor: 987_654_321_012_345n });
  const created = await alpha.createPayment(p);
  assert.equal(created.status, 'approved');
  assert.ok(created.status === 'approved');
  assert.equal(created.amountMinor, 987_654_321_012_345n);
  const status = await alpha.queryStatus({ attemptId: p.attemptId });
  assert.deepEqual(status, created);
  const refund = await alpha.refund({ refundId: `${p.paymentId}-r1`, attemptId: p.attemptId, channelReference: created.channelReference, amountMinor: 1000n, currency: 'EUR' });
  assert.equal(refund.status, 'refunded');
  const after = await alpha.queryStatus({ attemptId: p.attemptId });
  assert.ok(after.status === 'refunded');
  assert.equal(after.refundedMinor, 1000n);
  const tooMuch = await alpha.refund({ refundId: `${p.paymentId}-r2`, attemptId: p.attemptId, channelReference: created.channelReference, amountMinor: 987_654_321_012_345n, currency: 'EUR' });
  assert.deepEqual(tooMuch, { status: 'rejected', channelReasonCode: 'exceeds_charged' });
  const entry = sandbox.journal.payment(p.attemptId);
  assert.equal(entry?.state, 'approved');
  assert.equal(entry?.refundedMinor, 1000n);
});

test('acq_alpha declines come back as results with our reason and their code', async () => {
  const cases: Array<[Partial<CreatePaymentRequest>, string, string]> = [
    [{ instrument: { kind: 'card', token: 'tok_insufficient_funds', expiryMonth: 1, expiryYear: 2031 } }, 'insufficient_funds', '51'],
    [{ instrument: { kind: 'card', token: 'tok_do_not_honour', expiryMonth: 1, expiryYear: 2031 } }, 'do_not_honour', '05'],
    [{ instrument: { kind: 'card', token: 'tok_visa', expiryMonth: 10, expiryYear: 2026 } }, 'expired_card', '54'],
  ];
  for (const [overrides, reason, code] of cases) {
    const result = await alpha.createPayment(payment(overrides));
    assert.ok(result.status === 'declined', JSON.stringify(result));
    assert.equal(result.reason, reason);
    assert.equal(result.channelReasonCode, code);
  }
});

test('acq_alpha charges a repeated request id once and returns the first answer', async () => {
  const p = payment();
  const answers = await Promise.all([1, 2, 3, 4, 5].map(() => alpha.createPayment(p)));
  const again = await alpha.createPayment(p);
  for (const a of [...answers, again]) assert.deepEqual(a, answers[0]);
  assert.equal(sandbox.journal.charged().filter((e) => e.requestId === p.attemptId).length, 1);
  const reused = await alpha.createPayment({ ...p, amountMinor: 1n });
  assert.ok(reused.status === 'error' && reused.error.code === 'invalid_request', 'a request id reused for another amount is refused');
});

test('acq_alpha 5xx and outages are errors that surely did not charge', async () => {
  const before = sandbox.journal.size;
  sandbox.admin.setBehaviour({ errorRate: 1 });
  const injected = await alpha.createPayment(payment());
  sandbox.admin.setBehaviour({ errorRate: 0, outage: true });
  const outage = await alpha.createPayment(payment());
  const outageQuery = await alpha.queryStatus({ attemptId: 'pay-1:1' });
  sandbox.admin.setBehaviour({ outage: false });
  for (const r of [injected, outage, outageQuery]) {
    assert.ok(r.status === 'error', JSON.stringify(r));
    assert.equal(r.error.code, 'channel_unavailable');
    assert.equal(r.error.charge, 'not_charged');
  }
  assert.equal(sandbox.journal.size, before);
  const refused = await createAlphaAdapter({ baseUrl: await closedPortUrl(), credentials: creds.merchant, timeoutMs: 1_000, clock }).createPayment(payment());
  assert.ok(refused.status === 'error' && refused.error.code === 'channel_unavailable');
});

test('acq_alpha timeout or dropped connection is ambiguous and a status query resolves it either way', async () => {
  sandbox.admin.setBehaviour({ timeoutRate: 1, timeoutProcessedRate: 1, timeoutHoldMs: 10_000 });
  const charged = payment();
  const first = await alpha.createPayment(charged, { timeoutMs: 150 });
  sandbox.admin.setBehaviour({ timeoutProcessedRate: 0 });
  const lost = payment();
  const second = await alpha.createPayment(lost, { timeoutMs: 150 });
  sandbox.admin.setBehaviour({ timeoutRate: 0, timeoutProcessedRate: 1 });
  for (const r of [first, second]) {
    assert.ok(r.status === 'ambiguous', JSON.stringify(r));
    assert.equal(r.error.code, 'channel_timeout');
  }
  sandbox.admin.setBehaviour({ timeoutRate: 1, timeoutHoldMs: 20 });
  const reset = payment();
  const dropped = await alpha.createPayment(reset, { timeoutMs: 5_000 });
  sandbox.admin.setBehaviour({ timeoutRate: 0, timeoutHoldMs: 30_000 });
  assert.ok(dropped.status === 'ambiguous' && dropped.error.code === 'channel_timeout', 'a connection dropped mid-call is ambiguous too');
  assert.equal((await alpha.queryStatus({ attemptId: reset.attemptId })).status, 'approved');
  sandbox.admin.setBehaviour({ latency: { kind: 'fixed', ms: 2_000 } });
  const cancelled = payment();
  const controller = new AbortController();
  const pending = alpha.createPayment(cancelled, { signal: controller.signal });
  await waitUntil(() => (sandbox.journal.payment(cancelled.attemptId) !== undefined ? true : undefined), { timeoutMs: 5_000, what: 'the request to land' });
  controller.abort();
  const aborted = await pending;
  sandbox.admin.setBehaviour({ latency: { kind: 'fixed', ms: 0 } });
  assert.ok(aborted.status === 'ambiguous' && aborted.error.code === 'channel_timeout', 'a call the caller cancels is ambiguous too');
  assert.equal((await alpha.queryStatus({ attemptId: cancelled.attemptId })).status, 'approved');
  const resolved = await alpha.queryStatus({ attemptId: charged.attemptId });
  assert.equal(resolved.status, 'approved');
  assert.deepEqual(await alpha.queryStatus({ attemptId: lost.attemptId }), { status: 'not_found' });
  // "Not found" is final: the same request arriving late (still in flight when we asked) is refused.
  const late = await alpha.createPayment(lost);
  assert.ok(late.status === 'error' && late.error.code === 'invalid_request', JSON.stringify(late));
  assert.equal(sandbox.journal.payment(lost.attemptId), undefined);
});

test('acq_alpha signatures catch tampering in both directions', async () => {
  proxy.tamperRequest = (body) => body.replace('"amount_minor":"1250"', '"amount_minor":"9250"');
  const p = payment();
  const tamperedRequest = await viaProxy.createPayment(p);
  proxy.tamperRequest = null;
  assert.ok(tamperedRequest.status === 'error' && tamperedRequest.error.code === 'invalid_request', JSON.stringify(tamperedRequest));
  assert.equal(sandbox.journal.payment(p.attemptId), undefined, 'the acquirer refused the tampered request');

  proxy.tamperAnswer = (body) => body.replace('"DECLINED"', '"CAPTURED"').replace('"CAPTURED"', '"CAPTURED" ');
  const q = payment({ instrument: { kind: 'card', token: 'tok_do_not_honour', expiryMonth: 1, expiryYear: 2031 } });
  const tamperedAnswer = await viaProxy.createPayment(q);
  proxy.tamperAnswer = null;
  assert.ok(tamperedAnswer.status === 'ambiguous' && tamperedAnswer.error.code === 'bad_signature', JSON.stringify(tamperedAnswer));
  assert.equal((await alpha.queryStatus({ attemptId: q.attemptId })).status, 'declined', 'the truth comes from a verified query');

  const staleClock = createAlphaAdapter({ baseUrl: sandbox.url, credentials: { keyId: creds.merchant.keyId, secret: creds.merchant.secret }, timeoutMs: 2_000, clock: { nowMs: () => clock.nowMs() - 3_600_000 } });
  const stale = await staleClock.createPayment(payment());
  assert.ok(stale.status === 'error' && stale.error.code === 'invalid_request', 'a request outside the replay window is refused');
});

test('acq_alpha statement parses back to the journal, and configured discrepancies show up', async () => {
  const date = '2026-11-20';
  const clean = alpha.parseStatement(sandbox.admin.statement(date).content);
  assert.deepEqual(clean.rejected, []);
  assert.equal(clean.statementDate, date);
  const charged = sandbox.journal.charged();
  const payments = clean.lines.filter((l) => l.kind === 'payment');
  assert.equal(payments.length, charged.length);
  for (const e of charged) {
    const line = payments.find((l) => l.channelReference === e.reference);
    assert.ok(line !== undefined, e.reference);
    assert.equal(line.amountMinor, e.amountMinor);
    assert.equal(line.feeMinor, e.feeMinor);
    assert.equal(line.attemptId, e.requestId);
    assert.equal(line.status, 'SETTLED');
    assert.equal(line.bookedAtMs, e.completedAtMs);
  }
  assert.ok(clean.lines.some((l) => l.kind === 'refund' && l.status === 'REFUNDED' && l.amountMinor === 1000n));

  sandbox.admin.setBehaviour({ statement: { missingRate: 0.3, extraCount: 2, amountRate: 0.3, statusRate: 0.3, feeRate: 0.3 } });
  const file = sandbox.admin.statement(date);
  sandbox.admin.setBehaviour({ statement: { missingRate: 0, extraCount: 0, amountRate: 0, statusRate: 0, feeRate: 0 } });
  const skewed = alpha.parseStatement(file.content);
  const byRef = new Map(skewed.lines.map((l) => [l.channelReference, l]));
  const truth = new Map(clean.lines.map((l) => [l.channelReference, l]));
  assert.equal(file.discrepancies.filter((d) => d.kind === 'extra').length, 2);
  for (const d of file.discrepancies) {
    const seen = byRef.get(d.reference);
    const real = truth.get(d.reference);
    switch (d.kind) {
      case 'missing':
        assert.equal(seen, undefined);
        break;
      case 'extra':
        assert.ok(seen !== undefined && real === undefined);
        break;
      case 'amount':
        assert.notEqual(seen?.amountMinor, real?.amountMinor);
        break;
      case 'status':
        assert.equal(seen?.status, 'FAILED');
        break;
      case 'fee':
        assert.notEqual(seen?.feeMinor, real?.feeMinor);
        break;
    }
  }
  assert.ok(file.discrepancies.some((d) => d.kind !== 'extra'), 'some line was changed');
  const garbled = alpha.parseStatement(`${file.content}pay_x,a:1,a,PAYMENT,CAPTURED,12.50,EUR,0,2026-11-20T10:00:00.000Z\n`);
  assert.equal(garbled.rejected.length, 1);
  assert.match(garbled.rejected[0]?.reason ?? '', /amount_minor/);
});

test('acq_alpha sends no notifications', async () => {
  const v = await alpha.verifyNotification('{}', {});
  assert.ok(!v.ok && v.error.code === 'unsupported');
});
