import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { waitUntil } from '../../../lib/wait.ts';
import { generateSandboxCredentials } from '../sandbox/credentials.ts';
import { startSandboxAcquirer, type RunningSandbox } from '../sandbox/server.ts';
import { hmacSha256 } from '../signing.ts';
import { startNotificationReceiver, type NotificationReceiver } from '../testing/notification-receiver.ts';
import { startTamperProxy } from '../testing/tamper-proxy.ts';
import type { ChannelAdapter, CreatePaymentRequest, VerifiedNotification } from '../types.ts';
import { createWalletAAdapter } from './adapter.ts';

// 18:00 UTC is 02:00 the next day in wallet_a's UTC+08:00.
const startMs = Date.now();
const clock = { nowMs: () => Date.parse('2026-11-20T18:00:00Z') + (Date.now() - startMs) };
const creds = generateSandboxCredentials('wallet_a');
assert.equal(creds.channelId, 'wallet_a');
let sandbox: RunningSandbox;
let receiver: NotificationReceiver;
let wallet: ChannelAdapter;

before(async () => {
  sandbox = await startSandboxAcquirer('wallet_a', { credentials: creds, seed: 21, clock, behaviour: { callbacks: { retryDelayMs: 5 } } });
  receiver = await startNotificationReceiver(() => wallet);
  wallet = createWalletAAdapter({ baseUrl: sandbox.url, credentials: creds.merchant, timeoutMs: 2_000, notifyUrl: receiver.url, clock });
});
after(async () => {
  await sandbox.close();
  await receiver.close();
});

let n = 0;
function order(overrides: Partial<CreatePaymentRequest> = {}): CreatePaymentRequest {
  n += 1;
  return { paymentId: `w-${n}`, attemptId: `w-${n}:1`, amountMinor: 8800n, currency: 'CNY', instrument: { kind: 'wallet' }, ...overrides };
}

function notificationsFor(attemptId: string): VerifiedNotification[] {
  return receiver.received.flatMap((r) => (r.verification.ok && r.verification.notification.attemptId === attemptId ? [r.verification.notification] : []));
}

const quiet = () => waitUntil(() => (sandbox.admin.pendingWork() === 0 ? true : undefined), { timeoutMs: 10_000, what: 'sandbox work to finish' });

test('wallet_a order is pending with a QR code, then a signed callback and a status query say approved', async () => {
  const o = order({ amountMinor: 999_999_999_999_999n });
  const created = await wallet.createPayment(o);
  assert.ok(created.status === 'pending' && created.payerAction?.kind === 'qr', JSON.stringify(created));
  const [note] = await waitUntil(() => (notificationsFor(o.attemptId).length > 0 ? notificationsFor(o.attemptId) : undefined), { timeoutMs: 10_000, what: 'callback' });
  assert.ok(note !== undefined);
  assert.equal(note.status, 'APPROVED');
  assert.equal(note.amountMinor, 999_999_999_999_999n);
  assert.equal(note.paymentId, o.paymentId);
  const status = await wallet.queryStatus({ attemptId: o.attemptId });
  assert.ok(status.status === 'approved' && status.channelReference === note.channelReference);
  const again = await wallet.createPayment(o);
  assert.deepEqual(again, created, 'a repeated out_trade_no returns the first answer');
  assert.equal(sandbox.journal.charged().filter((e) => e.requestId === o.attemptId).length, 1);
  const refund = await wallet.refund({ refundId: 'w-r1', attemptId: o.attemptId, channelReference: status.channelReference, amountMinor: 100n, currency: 'CNY' });
  assert.equal(refund.status, 'refunded');
  const refunded = await wallet.queryStatus({ attemptId: o.attemptId });
  assert.ok(refunded.status === 'refunded' && refunded.refundedMinor === 100n);
});

test('wallet_a amounts beyond a JSON integer are refused before sending, not rounded', async () => {
  const result = await wallet.createPayment(order({ amountMinor: 9_007_199_254_740_992n }));
  assert.ok(result.status === 'error' && result.error.code === 'invalid_request');
});

test('wallet_a duplicate callbacks share one notification id; a declined payer arrives as DECLINED', async () => {
  await quiet();
  sandbox.admin.setBehaviour({ callbacks: { duplicateRate: 1 }, completionDeclineRate: 1 });
  const o = order();
  await wallet.createPayment(o);
  const notes = await waitUntil(() => (notificationsFor(o.attemptId).length >= 2 ? notificationsFor(o.attemptId) : undefined), { timeoutMs: 10_000, what: 'duplicate callback' });
  sandbox.admin.setBehaviour({ callbacks: { duplicateRate: 0 }, completionDeclineRate: 0 });
  assert.equal(new Set(notes.map((x) => x.notificationId)).size, 1);
  assert.equal(notes[0]?.status, 'DECLINED');
  const status = await wallet.queryStatus({ attemptId: o.attemptId });
  assert.ok(status.status === 'declined' && status.reason === 'cancelled_by_payer');
  assert.equal(sandbox.journal.charged().filter((e) => e.requestId === o.attemptId).length, 0);
});

test('wallet_a retries an unacknowledged callback with backoff; a lost one is resolved by status query', async () => {
  await quiet();
  receiver.rejectNext = 2;
  const retried = order();
  await wallet.createPayment(retried);
  await waitUntil(() => sandbox.admin.callbacks().records.find((r) => r.fate === 'acknowledged' && r.attempts === 3 && notificationsFor(retried.attemptId).length === 3), { timeoutMs: 10_000, what: 'third attempt acknowledged' });

  sandbox.admin.setBehaviour({ callbacks: { lossRate: 1 } });
  const lost = order();
  await wallet.createPayment(lost);
  await quiet();
  sandbox.admin.setBehaviour({ callbacks: { lossRate: 0 } });
  assert.equal(notificationsFor(lost.attemptId).length, 0);
  assert.equal((await wallet.queryStatus({ attemptId: lost.attemptId })).status, 'approved');
});

test('wallet_a forged or tampered callbacks are a typed bad_signature, never a notification', async () => {
  const body = JSON.stringify({ id: 'EVfake', create_time: new Date(clock.nowMs()).toISOString(), event_type: 'TRANSACTION.SUCCESS', resource: { out_trade_no: 'w-1:1', merchant_ref: 'w-1', transaction_id: 'x', trade_state: 'SUCCESS', amount: { total: 1, currency: 'CNY' } } });
  const ts = String(Math.floor(clock.nowMs() / 1000));
  const forged = await wallet.verifyNotification(body, { 'wallet-key-id': creds.merchant.keyId, 'wallet-timestamp': ts, 'wallet-nonce': 'n1', 'wallet-signature': 'ab'.repeat(32) });
  assert.ok(!forged.ok && forged.error.code === 'bad_signature');
  const real = receiver.received.find((r) => r.verification.ok);
  assert.ok(real !== undefined);
  const genuineSig = hmacSha256(creds.merchant.secret, `${ts}\nn1\n${body}\n`, 'hex');
  const genuine = await wallet.verifyNotification(Buffer.from(body), { 'wallet-key-id': creds.merchant.keyId, 'wallet-timestamp': ts, 'wallet-nonce': 'n1', 'wallet-signature': genuineSig });
  assert.ok(genuine.ok, 'the same body signed with the key verifies');
  const tampered = await wallet.verifyNotification(body.replace('"total":1', '"total":100'), { 'wallet-key-id': creds.merchant.keyId, 'wallet-timestamp': ts, 'wallet-nonce': 'n1', 'wallet-signature': genuineSig });
  assert.ok(!tampered.ok && tampered.error.code === 'bad_signature');
  const stale = await wallet.verifyNotification(body, { 'wallet-key-id': creds.merchant.keyId, 'wallet-timestamp': String(Number(ts) - 3600), 'wallet-nonce': 'n1', 'wallet-signature': hmacSha256(creds.merchant.secret, `${Number(ts) - 3600}\nn1\n${body}\n`, 'hex') });
  assert.ok(!stale.ok && stale.error.code === 'bad_signature', 'a replayed old callback is refused');
  assert.deepEqual(wallet.notificationAck('accepted'), { statusCode: 200, contentType: 'application/json', body: '{"code":"SUCCESS"}' });
  assert.equal(wallet.notificationAck('rejected').statusCode, 400);
});

test('wallet_a outage and timeout: not charged vs ambiguous until queried', async () => {
  sandbox.admin.setBehaviour({ outage: true });
  const down = await wallet.createPayment(order());
  sandbox.admin.setBehaviour({ outage: false, timeoutRate: 1, timeoutHoldMs: 10_000 });
  const o = order();
  const slow = await wallet.createPayment(o, { timeoutMs: 150 });
  sandbox.admin.setBehaviour({ timeoutRate: 0 });
  assert.ok(down.status === 'error' && down.error.code === 'channel_unavailable');
  assert.ok(slow.status === 'ambiguous' && slow.error.code === 'channel_timeout');
  const resolved = await waitUntil(async () => {
    const s = await wallet.queryStatus({ attemptId: o.attemptId });
    return s.status === 'approved' ? s : undefined;
  }, { timeoutMs: 10_000, what: 'order completed' });
  assert.equal(resolved.status, 'approved');
});

test('wallet_a bill in UTC+08:00 parses back to the journal and its totals are checked', async () => {
  await quiet();
  const file = sandbox.admin.statement('2026-11-21');
  const parsed = wallet.parseStatement(file.content);
  assert.deepEqual(parsed.rejected, []);
  assert.equal(parsed.statementDate, '2026-11-21');
  const charged = sandbox.journal.charged();
  assert.ok(charged.length >= 3);
  for (const e of charged) {
    const line = parsed.lines.find((l) => l.kind === 'payment' && l.channelReference === e.reference);
    assert.ok(line !== undefined);
    assert.equal(line.amountMinor, e.amountMinor);
    assert.equal(line.feeMinor, e.feeMinor);
    assert.equal(line.attemptId, e.requestId);
  }
  const truncated = file.content.split('\n').slice(0, 2).join('\n');
  assert.match(wallet.parseStatement(truncated).rejected[0]?.reason ?? '', /footer is missing/);
  sandbox.admin.setBehaviour({ statement: { missingRate: 1 } });
  const empty = wallet.parseStatement(sandbox.admin.statement('2026-11-21').content);
  sandbox.admin.setBehaviour({ statement: { missingRate: 0 } });
  assert.equal(empty.lines.length, 0);
  assert.deepEqual(empty.rejected, []);
});

test('wallet_a signatures catch a tampered request and a tampered answer', async () => {
  const proxy = await startTamperProxy(sandbox.url);
  try {
    const viaProxy = createWalletAAdapter({ baseUrl: proxy.url, credentials: creds.merchant, timeoutMs: 2_000, notifyUrl: receiver.url, clock });
    proxy.tamperRequest = (body) => body.replace('"total":8800', '"total":1');
    const o = order();
    const r1 = await viaProxy.createPayment(o);
    proxy.tamperRequest = null;
    assert.ok(r1.status === 'error' && r1.error.code === 'invalid_request', JSON.stringify(r1));
    assert.equal(sandbox.journal.payment(o.attemptId), undefined);
    proxy.tamperAnswer = (body) => body.replace('walleta://pay', 'https://evil.example/pay');
    const r2 = await viaProxy.createPayment(order());
    proxy.tamperAnswer = null;
    assert.ok(r2.status === 'ambiguous' && r2.error.code === 'bad_signature', JSON.stringify(r2));
  } finally {
    await proxy.close();
  }
});
