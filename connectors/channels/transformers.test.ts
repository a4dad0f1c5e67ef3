import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as alpha from './acq_alpha/transformers.ts';
import * as beta from './acq_beta/transformers.ts';
import { ChannelError } from './types.ts';
import * as walletA from './wallet_a/transformers.ts';
import * as walletB from './wallet_b/transformers.ts';

function isCode(code: string, charge: 'not_charged' | 'unknown') {
  return (err: unknown) => err instanceof ChannelError && err.code === code && err.charge === charge;
}
const malformed = isCode('malformed_response', 'unknown');

test('acq_alpha answers with unknown words, other request ids or bad amounts are malformed, not guessed', () => {
  const ok = { id: 'pay_1', request_id: 'a:1', status: 'CAPTURED', amount_minor: '100', currency: 'EUR' };
  assert.deepEqual(alpha.fromPayment(ok, 'a:1'), { status: 'approved', channelReference: 'pay_1', amountMinor: 100n, currency: 'EUR' });
  assert.throws(() => alpha.fromPayment({ ...ok, status: 'AUTHORISED' }, 'a:1'), malformed);
  assert.throws(() => alpha.fromPayment(ok, 'b:1'), malformed);
  assert.throws(() => alpha.fromPayment({ ...ok, amount_minor: 100 }, 'a:1'), malformed);
  assert.throws(() => alpha.fromPayment({ ...ok, amount_minor: '1.00' }, 'a:1'), malformed);
  const declined = alpha.fromPayment({ ...ok, status: 'DECLINED', decline_code: '99' }, 'a:1');
  assert.ok(declined.status === 'declined' && declined.reason === 'other' && declined.channelReasonCode === '99');
  assert.throws(() => alpha.fromRefund({ request_id: 'r', status: 'PENDING' }, 'r'), malformed);
});

test('acq_beta refuses result codes and money it does not know', () => {
  const ok = { pspReference: 'PSP1', idempotencyKey: 'k:1', resultCode: 'Authorised', money: { value: '1.00', currency: 'EUR' } };
  assert.equal(beta.fromAuthorisation(ok, 'k:1').status, 'approved');
  assert.throws(() => beta.fromAuthorisation({ ...ok, resultCode: 'Pending' }, 'k:1'), malformed);
  assert.throws(() => beta.fromAuthorisation({ ...ok, money: { value: 1, currency: 'EUR' } }, 'k:1'), malformed);
  assert.throws(() => beta.fromAuthorisation({ ...ok, money: { value: '1.00', currency: 'KWD' } }, 'k:1'), malformed);
  assert.throws(() => beta.toAuthorisationBody({ paymentId: 'p', attemptId: 'p:1', amountMinor: 1n, currency: 'EUR', instrument: { kind: 'wallet' } }), isCode('invalid_request', 'not_charged'));
});

test('wallet_a trade states map exhaustively and amounts stay exact JSON integers', () => {
  const order = { out_trade_no: 'w:1', prepay_id: 'wx1', transaction_id: 'wx1', trade_state: 'SUCCESS', amount: { total: 9_007_199_254_740_991, currency: 'CNY', refunded: 0 } };
  const approved = walletA.fromOrder(order, 'w:1');
  assert.ok(approved.status === 'approved' && approved.amountMinor === 9_007_199_254_740_991n);
  assert.throws(() => walletA.fromOrder({ ...order, amount: { total: 1.5, currency: 'CNY' } }, 'w:1'), malformed);
  assert.throws(() => walletA.fromOrder({ ...order, trade_state: 'USERPAYING' }, 'w:1'), malformed);
  assert.equal(walletA.fromOrder({ ...order, trade_state: 'CLOSED' }, 'w:1').status, 'declined');
  assert.equal(walletA.fromOrder({ ...order, trade_state: 'NOTPAY' }, 'w:1').status, 'pending');
  assert.throws(() => walletA.notificationStatus('NOTPAY'), malformed);
  assert.equal(walletA.toAmount(9_007_199_254_740_991n), 9_007_199_254_740_991);
  for (const bad of [0n, -1n, 9_007_199_254_740_992n]) assert.throws(() => walletA.toAmount(bad), isCode('invalid_request', 'not_charged'));
});

test('wallet_b trade statuses: closed after a refund is refunded, closed unpaid is declined, unknown is malformed', () => {
  const trade = { out_trade_no: 'b:1', trade_no: 'T1', trade_status: 'TRADE_CLOSED', total_amount: '10.00', refund_amount: '10.00', currency: 'BRL' };
  const refunded = walletB.fromTrade(trade, 'b:1');
  assert.ok(refunded.status === 'refunded' && refunded.refundedMinor === 1000n);
  assert.equal(walletB.fromTrade({ ...trade, refund_amount: '0.00' }, 'b:1').status, 'declined');
  assert.equal(walletB.fromTrade({ ...trade, trade_status: 'TRADE_FINISHED', refund_amount: '' }, 'b:1').status, 'approved');
  assert.throws(() => walletB.fromTrade({ ...trade, trade_status: 'TRADE_PENDING' }, 'b:1'), malformed);
  assert.throws(() => walletB.fromTrade({ ...trade, total_amount: '10.001' }, 'b:1'), malformed);
  assert.throws(() => walletB.fromTrade(trade, 'other:1'), malformed);
  assert.equal(walletB.toAmount(5000n, 'JPY'), '5000');
  assert.throws(() => walletB.toAmount(5000n, 'BHD'), isCode('invalid_request', 'not_charged'));
});
