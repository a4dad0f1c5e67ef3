import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { waitUntil } from '../../../lib/wait.ts';
import { generateSandboxCredentials } from '../sandbox/credentials.ts';
import { startSandboxAcquirer, type RunningSandbox } from '../sandbox/server.ts';
import { rsaSha256Sign, sortedKeyValueString } from '../signing.ts';
import { startNotificationReceiver, type NotificationReceiver } from '../testing/notification-receiver.ts';
import { startTamperProxy, type TamperProxy } from '../testing/tamper-proxy.ts';
import type { ChannelAdapter, CreatePaymentRequest, VerifiedNotification } from '../types.ts';
import { createWalletBAdapter } from './adapter.ts';

// 01:00 UTC on the 21st is still the 20th in wallet_b's UTC-03:00.
const startMs = Date.now();
const clock = { nowMs: () => Date.parse('2026-11-21T01:00:00Z') + (Date.now() - startMs) };
const creds = generateSandboxCredentials('wallet_b');
assert.equal(creds.channelId, 'wallet_b');
let sandbox: RunningSandbox;
let receiver: NotificationReceiver;
let proxy: TamperProxy;
let wallet: ChannelAdapter;
let viaProxy: ChannelAdapter;

before(async () => {
  sandbox = await startSandboxAcquirer('wallet_b', { credentials: creds, seed: 22, clock, behaviour: { callbacks: { retryDelayMs: 5 } } });
  receiver = await startNotificationReceiver(() => wallet);
  proxy = await startTamperProxy(sandbox.url);
  const config = { baseUrl: sandbox.url, credentials: creds.merchant, timeoutMs: 2_000, notifyUrl: receiver.url, clock };
  wallet = createWalletBAdapter(config);
  viaProxy = createWalletBAdapter({ ...config, baseUrl: proxy.url });
});
after(async () => {
  await proxy.close();
  await sandbox.close();
  await receiver.close();
});

let n = 0;
function trade(overrides: Partial<CreatePaymentRequest> = {}): CreatePaymentRequest {
  n += 1;
  return { paymentId: `wb-${n}`, attemptId: `wb-${n}:1`, amountMinor: 15_990n, currency: 'BRL', instrument: { kind: 'wallet' }, ...overrides };
}

function notesFor(attemptId: string): VerifiedNotification[] {
  return receiver.received.flatMap((r) => (r.verification.ok && r.verification.notification.attemptId === attemptId ? [r.verification.notification] : []));
}

const quiet = () => waitUntil(() => (sandbox.admin.pendingWork() === 0 ? true : undefined), { timeoutMs: 10_000, what: 'sandbox work to finish' });

test('wallet_b trade redirects, then an RSA-signed form notification and a query say approved', async () => {
  const t = trade({ amountMinor: 999_999_999_999_999n });
  const created = await wallet.createPayment(t);
  assert.ok(created.status === 'pending' && created.payerAction?.kind === 'redirect' && created.payerAction.value.startsWith(sandbox.url), JSON.stringify(created));
  const [note] = await waitUntil(() => (notesFor(t.attemptId).length > 0 ? notesFor(t.attemptId) : undefined), { timeoutMs: 10_000, what: 'notification' });
  assert.equal(note?.status, 'APPROVED');
  assert.equal(note?.amountMinor, 999_999_999_999_999n);
  assert.equal(note?.paymentId, t.paymentId);
  const status = await wallet.queryStatus({ attemptId: t.attemptId });
  assert.ok(status.status === 'approved' && status.amountMinor === 999_999_999_999_999n);
  assert.deepEqual(await wallet.createPayment(t), created, 'a repeated out_trade_no returns the first answer');
  assert.equal(sandbox.journal.charged().filter((e) => e.requestId === t.attemptId).length, 1);
  const refund = await wallet.refund({ refundId: 'wb-r1', attemptId: t.attemptId, channelReference: status.channelReference, amountMinor: 999_999_999_999_999n, currency: 'BRL' });
  assert.ok(refund.status === 'refunded' && refund.amountMinor === 999_999_999_999_999n);
  const closed = await wallet.queryStatus({ attemptId: t.attemptId });
  assert.ok(closed.status === 'refunded' && closed.refundedMinor === 999_999_999_999_999n);
  const twice = await wallet.refund({ refundId: 'wb-r2', attemptId: t.attemptId, channelReference: status.channelReference, amountMinor: 1n, currency: 'BRL' });
  assert.deepEqual(twice, { status: 'rejected', channelReasonCode: 'ACQ.EXCEEDS_CHARGED' });
  assert.deepEqual(await wallet.queryStatus({ attemptId: 'nope:1' }), { status: 'not_found' });
});

test('wallet_b notifications: duplicates share an id, lost ones are resolved by query, only `success` stops retries', async () => {
  await quiet();
  sandbox.admin.setBehaviour({ callbacks: { duplicateRate: 1 } });
  const dup = trade();
  await wallet.createPayment(dup);
  const notes = await waitUntil(() => (notesFor(dup.attemptId).length >= 2 ? notesFor(dup.attemptId) : undefined), { timeoutMs: 10_000, what: 'duplicate' });
  sandbox.admin.setBehaviour({ callbacks: { duplicateRate: 0, lossRate: 1 } });
  assert.equal(new Set(notes.map((x) => x.notificationId)).size, 1);
  const lost = trade();
  await wallet.createPayment(lost);
  await quiet();
  sandbox.admin.setBehaviour({ callbacks: { lossRate: 0 } });
  assert.equal(notesFor(lost.attemptId).length, 0);
  assert.equal((await wallet.queryStatus({ attemptId: lost.attemptId })).status, 'approved');
  receiver.rejectNext = 1;
  const retried = trade();
  await wallet.createPayment(retried);
  await waitUntil(() => (notesFor(retried.attemptId).length === 2 && sandbox.admin.pendingWork() === 0 ? true : undefined), { timeoutMs: 10_000, what: 'retried notification' });
  assert.deepEqual(wallet.notificationAck('accepted'), { statusCode: 200, contentType: 'text/plain', body: 'success' });
});

test('wallet_b forged and tampered notifications are a typed bad_signature', async () => {
  const fields = { notify_id: 'NTFforged', notify_type: 'trade_status_sync', app_id: creds.merchant.appId, trade_no: 'T1', out_trade_no: 'wb-1:1', passback_params: 'wb-1', trade_status: 'TRADE_SUCCESS', total_amount: '1.00', currency: 'BRL', sign_type: 'RSA2' };
  // Signed with our own key instead of the wallet's: a forger who has a key, but not theirs.
  const forgedSign = rsaSha256Sign(creds.merchant.merchantPrivateKeyPem, sortedKeyValueString(fields, ['sign', 'sign_type']));
  const forged = await wallet.verifyNotification(new URLSearchParams({ ...fields, sign: forgedSign }).toString(), {});
  assert.ok(!forged.ok && forged.error.code === 'bad_signature');
  const genuine = receiver.received.find((r) => r.verification.ok);
  assert.ok(genuine !== undefined);
  const tampered = await wallet.verifyNotification(genuine.raw.replace(/total_amount=[^&]+/, 'total_amount=0.01'), {});
  assert.ok(!tampered.ok && tampered.error.code === 'bad_signature');
  const unsigned = await wallet.verifyNotification(genuine.raw.replace(/&?sign=[^&]+/, ''), {});
  assert.ok(!unsigned.ok && unsigned.error.code === 'bad_signature');
  const replayed = await wallet.verifyNotification(Buffer.from(genuine.raw), {});
  assert.ok(replayed.ok, 'the untouched bytes verify');
});

test('wallet_b signatures catch a tampered request and a tampered answer; outages and timeouts', async () => {
  proxy.tamperRequest = (body) => body.replace('total_amount=159.90', 'total_amount=0.01');
  const t1 = trade();
  const r1 = await viaProxy.createPayment(t1);
  proxy.tamperRequest = null;
  assert.ok(r1.status === 'error' && r1.error.code === 'invalid_request', JSON.stringify(r1));
  assert.equal(sandbox.journal.payment(t1.attemptId), undefined);
  proxy.tamperAnswer = (body) => body.replace('trade_status=WAIT_BUYER_PAY', 'trade_status=TRADE_SUCCESS');
  const r2 = await viaProxy.createPayment(trade());
  proxy.tamperAnswer = null;
  assert.ok(r2.status === 'ambiguous' && r2.error.code === 'bad_signature', JSON.stringify(r2));
  sandbox.admin.setBehaviour({ errorRate: 1 });
  const r3 = await wallet.createPayment(trade());
  sandbox.admin.setBehaviour({ errorRate: 0, timeoutRate: 1, timeoutHoldMs: 10_000 });
  const t4 = trade();
  const r4 = await wallet.createPayment(t4, { timeoutMs: 150 });
  sandbox.admin.setBehaviour({ timeoutRate: 0 });
  assert.ok(r3.status === 'error' && r3.error.code === 'channel_unavailable');
  assert.ok(r4.status === 'ambiguous' && r4.error.code === 'channel_timeout');
  assert.notEqual((await wallet.queryStatus({ attemptId: t4.attemptId })).status, 'not_found');
});

test('wallet_b statement in UTC-03:00 with two-decimal amounts parses back to the journal', async () => {
  await quiet();
  const file = sandbox.admin.statement('2026-11-20');
  const parsed = wallet.parseStatement(file.content);
  assert.deepEqual(parsed.rejected, []);
  assert.equal(parsed.statementDate, '2026-11-20');
  assert.ok(file.content.includes('\t9999999999999.99\t'));
  const charged = sandbox.journal.charged();
  assert.equal(parsed.lines.filter((l) => l.kind === 'payment').length, charged.length);
  for (const e of charged) {
    const line = parsed.lines.find((l) => l.kind === 'payment' && l.channelReference === e.reference);
    assert.ok(line !== undefined);
    assert.equal(line.amountMinor, e.amountMinor);
    assert.equal(line.feeMinor, e.feeMinor);
    assert.equal(line.paymentId, e.merchantRef);
  }
  assert.ok(parsed.lines.some((l) => l.kind === 'refund' && l.status === 'REFUNDED'));
  assert.equal(wallet.parseStatement(sandbox.admin.statement('2026-11-21').content).lines.length, 0);
  sandbox.admin.setBehaviour({ statement: { statusRate: 1, extraCount: 1 } });
  const skewed = sandbox.admin.statement('2026-11-20');
  sandbox.admin.setBehaviour({ statement: { statusRate: 0, extraCount: 0 } });
  const parsedSkewed = wallet.parseStatement(skewed.content);
  assert.equal(parsedSkewed.lines.filter((l) => l.kind === 'payment' && l.status === 'FAILED').length, charged.length);
  assert.equal(parsedSkewed.lines.length, parsed.lines.length + 1);
  const cut = skewed.content.split('\n').slice(0, -3).join('\n');
  assert.match(wallet.parseStatement(cut).rejected.at(-1)?.reason ?? '', /end line is missing/);
});

test('wallet_b refuses currencies it cannot express, before sending', async () => {
  const r = await wallet.createPayment(trade({ currency: 'KWD', amountMinor: 1000n }));
  assert.ok(r.status === 'error' && r.error.code === 'invalid_request');
});
