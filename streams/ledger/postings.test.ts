import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SAMPLES } from '../../schemas/samples.ts';
import type { PaymentEvent } from '../../schemas/types.ts';
import { CHANNEL_FEES, MERCHANT_FEE, feeMinor } from '../../connectors/channels/fees.ts';
import { accounts, entriesFor, type JournalEntry } from './postings.ts';

function balanced(entry: JournalEntry): boolean {
  let sum = 0n;
  for (const l of entry.legs) sum += l.direction === 'D' ? l.amountMinor : -l.amountMinor;
  return sum === 0n;
}

const event = (fields: Partial<PaymentEvent>): PaymentEvent => ({ ...SAMPLES.PaymentEvent, eventId: 'p1:5', paymentId: 'p1', merchantId: 'm1', channelId: 'acq_alpha', currency: 'EUR', amountMinor: 10_000n, capturedMinor: 10_000n, refundedMinor: 0n, ...fields });

test('a capture: the channel owes the amount, the merchant is owed it less our fee, the channel keeps its fee; every entry balances', () => {
  const entries = entriesFor(event({ type: 'SUCCEEDED', status: 'SUCCEEDED' }), 'HALF_UP');
  assert.deepEqual(entries.map((e) => e.kind), ['capture', 'channel_fee']);
  for (const e of entries) assert.ok(balanced(e), e.journalId);
  const capture = entries[0] ?? assert.fail();
  const merchantFee = feeMinor(MERCHANT_FEE, 10_000n, 'EUR', 'HALF_UP');
  assert.equal(merchantFee, 320n, '2.9 % of 100.00 EUR plus 0.30');
  assert.deepEqual(capture.legs.map((l) => [l.accountId, l.direction, l.amountMinor]), [[accounts.channelReceivable('acq_alpha'), 'D', 10_000n], [accounts.merchantPayable('m1'), 'C', 9_680n], [accounts.feeRevenue, 'C', 320n]]);
  assert.equal(entries[1]?.legs[0]?.amountMinor, 200n, 'acq_alpha: 1.8 % up to 100.00, plus 0.20');
});

test('refunds, conflicts and conflict refunds balance; other events post nothing', () => {
  const refund = entriesFor(event({ type: 'REFUND_SUCCEEDED', status: 'PARTIALLY_REFUNDED', refundId: 'r1', refundAmountMinor: 2_500n }), 'HALF_UP');
  assert.deepEqual(refund.map((e) => [e.kind, e.legs.map((l) => `${l.direction}${l.accountId}:${l.amountMinor}`)]), [['refund', ['Dmerchant:m1:payable:2500', 'Cchannel:acq_alpha:receivable:2500']]]);
  const conflict = entriesFor(event({ type: 'CONFLICT', status: 'EXPIRED', refundAmountMinor: 10_000n }), 'HALF_UP');
  const back = entriesFor(event({ type: 'REFUND_SUCCEEDED', status: 'EXPIRED', refundId: 'conflict-1', refundAmountMinor: 10_000n }), 'HALF_UP');
  assert.deepEqual([...conflict, ...back].map((e) => e.kind), ['conflict', 'conflict_refund']);
  for (const e of [...refund, ...conflict, ...back]) assert.ok(balanced(e));
  for (const type of ['CREATED', 'ROUTED', 'FAILED', 'REFUND_REQUESTED', 'REFUND_FAILED'] as const) assert.deepEqual(entriesFor(event({ type }), 'HALF_UP'), [], type);
});

test('fee rounding: half-up and half-even differ exactly on halves', () => {
  const model = { tiers: [{ uptoMajor: null, percent: '2.5' }], fixedMajor: '0' };
  // 2.5 % of 0.50 EUR = 1.25 minor; of 0.30 EUR = 0.75 minor; of 1.00 EUR = 2.5 minor.
  assert.equal(feeMinor(model, 50n, 'EUR', 'HALF_UP'), 1n);
  assert.equal(feeMinor(model, 50n, 'EUR', 'HALF_EVEN'), 1n);
  assert.equal(feeMinor(model, 100n, 'EUR', 'HALF_UP'), 3n);
  assert.equal(feeMinor(model, 100n, 'EUR', 'HALF_EVEN'), 2n);
  assert.equal(feeMinor(model, 300n, 'EUR', 'HALF_UP'), 8n, '7.5 rounds up');
  assert.equal(feeMinor(model, 300n, 'EUR', 'HALF_EVEN'), 8n, '7.5 rounds to the even 8');
  assert.equal(feeMinor(model, 500n, 'EUR', 'HALF_EVEN'), 12n, '12.5 rounds to the even 12');
});

test('tiny amounts: a fee never exceeds the amount it comes from', () => {
  assert.equal(feeMinor(MERCHANT_FEE, 1n, 'EUR', 'HALF_UP'), 1n, '0.30 fixed on a 0.01 payment is capped at 0.01');
  const entries = entriesFor(event({ type: 'SUCCEEDED', status: 'SUCCEEDED', amountMinor: 1n, capturedMinor: 1n }), 'HALF_UP');
  for (const e of entries) assert.ok(balanced(e) && e.legs.every((l) => l.amountMinor > 0n), JSON.stringify(e.legs.map((l) => l.amountMinor.toString())));
});

test('currencies without cents and with three decimals: JPY fixed parts round to yen, KWD to fils', () => {
  // 2.9 % of 1,000 JPY = 29, plus 0.30 JPY -> 29.3 -> 29 yen.
  assert.equal(feeMinor(MERCHANT_FEE, 1_000n, 'JPY', 'HALF_UP'), 29n);
  // 2.9 % of 10.000 KWD = 290 fils, plus 0.300 KWD = 300 fils.
  assert.equal(feeMinor(MERCHANT_FEE, 10_000n, 'KWD', 'HALF_UP'), 590n);
  const alpha = CHANNEL_FEES.acq_alpha ?? assert.fail();
  // 150.000 KWD is above acq_alpha's first tier (100 major units): 1.4 % + 0.200 KWD.
  assert.equal(feeMinor(alpha, 150_000n, 'KWD', 'HALF_UP'), 2_100n + 200n);
  assert.throws(() => feeMinor(alpha, 1n, 'XXX', 'HALF_UP'), /no minor-unit exponent/);
});
