import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideRoute, inWindow, pickArm, type DecideContext } from './decide.ts';
import { defaultRules } from './defaults.ts';
import { feeSourceOf } from './fees.ts';
import { ChannelLive } from './live.ts';
import { RuleSet } from './rules.ts';
import { testArm, testCreate, testRule } from './testing.ts';
import type { RoutingRule } from '../../schemas/types.ts';

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0);

function ctx(rules: RoutingRule[], live = new ChannelLive()): DecideContext {
  return { rules: RuleSet.of(rules), live, fees: feeSourceOf(), nowMs: NOW };
}

function route(rules: RoutingRule[], over: Parameters<typeof testCreate>[0] = {}, live?: ChannelLive, merchantId = 'm-1', paymentId = 'pay-1') {
  return decideRoute({ paymentId, merchantId, create: testCreate(over) }, ctx(rules, live));
}

test('the first matching rule by priority wins, and a more specific rule placed later does not', () => {
  const general = testRule({ ruleId: 'general', priority: 10, arms: [testArm({ channelId: 'acq_alpha', fallbackChannelIds: [] })] });
  const merchant = testRule({ ruleId: 'merchant', priority: 5, merchantId: 'm-1', arms: [testArm({ channelId: 'acq_beta', fallbackChannelIds: [] })] });
  assert.equal(route([general, merchant]).channelId, 'acq_beta');
  assert.equal(route([general, merchant], {}, undefined, 'm-2').channelId, 'acq_alpha');
  const later = testRule({ ruleId: 'later', priority: 20, merchantId: 'm-1', arms: [testArm({ channelId: 'acq_beta', fallbackChannelIds: [] })] });
  assert.equal(route([general, later]).channelId, 'acq_alpha');
});

test('equal priorities are ordered by rule id so every instance decides the same', () => {
  const b = testRule({ ruleId: 'b', arms: [testArm({ channelId: 'acq_beta', fallbackChannelIds: [] })] });
  const a = testRule({ ruleId: 'a', arms: [testArm({ channelId: 'acq_alpha', fallbackChannelIds: [] })] });
  assert.equal(route([b, a]).ruleId, 'a@1');
});

test('a rule matches on currency, method and an inclusive amount range, and not outside them', () => {
  const r = testRule({ currency: 'EUR', method: 'CARD', minAmountMinor: 100n, maxAmountMinor: 500n, version: 3 });
  assert.equal(route([r], { amountMinor: 100n }).ruleId, 'r1@3');
  assert.equal(route([r], { amountMinor: 500n }).ruleVersion, 3);
  assert.equal(route([r], { amountMinor: 99n }).outcome, 'NO_ROUTE');
  assert.equal(route([r], { amountMinor: 501n }).outcome, 'NO_ROUTE');
  assert.equal(route([r], { amountMinor: 200n, currency: 'USD' }).outcome, 'NO_ROUTE');
  assert.equal(route([r], { amountMinor: 200n, method: 'WALLET_A' }).outcome, 'NO_ROUTE');
  assert.equal(route([{ ...r, enabled: false }], { amountMinor: 200n }).outcome, 'NO_ROUTE');
});

test('a time-of-day window applies in its own time zone and wraps past midnight', () => {
  // 12:00 UTC is 13:00 in Berlin (CET) and 07:00 in New York (EST).
  const berlinLunch = { startMinute: 13 * 60, endMinute: 14 * 60, timeZone: 'Europe/Berlin' };
  assert.equal(inWindow(berlinLunch, NOW), true);
  assert.equal(inWindow({ ...berlinLunch, timeZone: 'UTC' }, NOW), false);
  assert.equal(inWindow({ startMinute: 22 * 60, endMinute: 8 * 60, timeZone: 'America/New_York' }, NOW), true);
  assert.equal(inWindow({ startMinute: 22 * 60, endMinute: 8 * 60, timeZone: 'UTC' }, NOW), false);
  assert.equal(inWindow({ startMinute: 12 * 60, endMinute: 12 * 60 + 1, timeZone: 'UTC' }, NOW), true, 'start is inclusive');
  assert.equal(inWindow({ startMinute: 11 * 60, endMinute: 12 * 60, timeZone: 'UTC' }, NOW), false, 'end is exclusive');
});

test('the default rules route cards to the acquirers, wallets to their channel, and a bank payment to no_route', () => {
  const rules = defaultRules(0);
  const card = route(rules);
  assert.equal(card.outcome, 'ROUTED');
  assert.deepEqual([card.channelId, ...card.fallbackChannelIds].sort(), ['acq_alpha', 'acq_beta']);
  assert.equal(route(rules, { method: 'WALLET_A' }).channelId, 'wallet_a');
  assert.equal(route(rules, { method: 'WALLET_B' }).channelId, 'wallet_b');
  const bank = route(rules, { method: 'BANK' });
  assert.equal(bank.outcome, 'NO_ROUTE');
  assert.equal(bank.failureCode, 'no_route');
  assert.equal(bank.channelId, '');
  assert.equal(bank.ruleId, null);
});

test('failover order follows the fixed list and skips switched-off, open-breaker, denied and unsupported channels', () => {
  const r = testRule({ arms: [testArm({ channelId: 'acq_alpha', fallbackChannelIds: ['wallet_a', 'acq_beta'] })] });
  const plain = route([r]);
  assert.deepEqual([plain.channelId, ...plain.fallbackChannelIds], ['acq_alpha', 'acq_beta']);
  assert.equal(plain.scores.find((s) => s.channelId === 'wallet_a')?.note, 'method_not_supported');
  const live = new ChannelLive();
  live.switches.apply('acq_alpha', { channelId: 'acq_alpha', enabled: false, reason: 'maintenance', updatedBy: 'ops', updatedAtMs: NOW });
  const switched = route([r], {}, live);
  assert.deepEqual([switched.channelId, ...switched.fallbackChannelIds], ['acq_beta']);
  assert.equal(switched.scores.find((s) => s.channelId === 'acq_alpha')?.note, 'switched_off');
  const open = new ChannelLive();
  open.applyHealth({ channelId: 'acq_beta', instanceId: 'i1' }, { channelId: 'acq_beta', instanceId: 'i1', breaker: 'OPEN', enabled: true, inFlight: 0, updatedAtMs: NOW });
  assert.deepEqual(route([r], {}, open).fallbackChannelIds, []);
  const both = route([{ ...r, denyChannelIds: ['acq_beta'] }], {}, live);
  assert.equal(both.outcome, 'NO_ROUTE');
  assert.equal(both.ruleId, 'r1@1', 'a matched rule with nothing eligible still names itself');
});

test('a breaker open on one instance but closed on another keeps the channel; a stale report is ignored', () => {
  const r = testRule({ arms: [testArm({ channelId: 'acq_alpha', fallbackChannelIds: [] })] });
  const live = new ChannelLive();
  const report = { channelId: 'acq_alpha', instanceId: 'i1', breaker: 'OPEN' as const, enabled: true, inFlight: 0, updatedAtMs: NOW };
  live.applyHealth(report, report);
  live.applyHealth({ ...report, instanceId: 'i2' }, { ...report, instanceId: 'i2', breaker: 'CLOSED' });
  assert.equal(route([r], {}, live).channelId, 'acq_alpha');
  live.applyHealth({ ...report, instanceId: 'i2' }, null);
  assert.equal(route([r], {}, live).outcome, 'NO_ROUTE');
  live.applyHealth(report, { ...report, updatedAtMs: NOW - 3_600_000 });
  assert.equal(route([r], {}, live).channelId, 'acq_alpha');
});

test('the preferred channel goes first in a fixed list and wins a tie in a scored one', () => {
  const fixed = testRule({ preferredChannelId: 'acq_beta' });
  assert.deepEqual([route([fixed]).channelId, ...route([fixed]).fallbackChannelIds], ['acq_beta', 'acq_alpha']);
  const scored = testRule({ preferredChannelId: 'acq_alpha', arms: [testArm({ channelId: '', fallbackChannelIds: [], strategy: 'SCORED', scoreWeights: { fee: 0, successRate: 0, latency: 0, preferred: 1 } })] });
  assert.equal(route([scored]).channelId, 'acq_alpha');
});

test('scoring prefers the cheaper channel until its live success rate falls, and explains each factor', () => {
  const r = testRule({ arms: [testArm({ channelId: '', fallbackChannelIds: [], strategy: 'SCORED', scoreWeights: { fee: 50, successRate: 50, latency: 0, preferred: 0 } })] });
  // 100.00 EUR: alpha 1.8 % + 0.20 = 200, beta 1.6 % + 0.25 = 185 (connectors/channels/fees.ts).
  const cheap = route([r], { amountMinor: 10_000n });
  assert.equal(cheap.channelId, 'acq_beta');
  const beta = cheap.scores.find((s) => s.channelId === 'acq_beta');
  assert.equal(beta?.feeMinor, 185n);
  assert.equal(beta?.fee, 1);
  const live = new ChannelLive();
  live.applyWindow({ windowStartMs: NOW - 60_000, windowEndMs: NOW, channelId: 'acq_beta', attempts: 1000, approved: 400, declined: 100, pending: 0, failed: 500, latencyP50Ms: 100, latencyP95Ms: 300, latencyMaxMs: 900 });
  live.applyWindow({ windowStartMs: NOW - 60_000, windowEndMs: NOW, channelId: 'acq_alpha', attempts: 1000, approved: 950, declined: 50, pending: 0, failed: 0, latencyP50Ms: 100, latencyP95Ms: 300, latencyMaxMs: 900 });
  const failing = route([r], { amountMinor: 10_000n }, live);
  assert.equal(failing.channelId, 'acq_alpha');
  assert.deepEqual(failing.fallbackChannelIds, ['acq_beta']);
  assert.ok((failing.scores[0]?.total ?? 0) > (failing.scores[1]?.total ?? 1));
});

test('old metric windows fade: a recovered channel wins back its rate', () => {
  const live = new ChannelLive();
  const w = { windowStartMs: 0, windowEndMs: NOW - 3_600_000, channelId: 'acq_beta', attempts: 1000, approved: 0, declined: 0, pending: 0, failed: 1000, latencyP50Ms: 1, latencyP95Ms: 1, latencyMaxMs: 1 };
  live.applyWindow(w);
  assert.ok(live.view('acq_beta', NOW).successRate < 0.1);
  live.applyWindow({ ...w, windowEndMs: NOW, approved: 100, failed: 0, attempts: 100 });
  assert.ok(live.view('acq_beta', NOW).successRate > 0.9);
});

test('fee estimates use the connectors\' tiered models per currency, and an unknown currency prices nothing', () => {
  const fees = feeSourceOf();
  assert.equal(fees.estimateMinor('acq_alpha', 10_000n, 'EUR'), 200n);
  assert.equal(fees.estimateMinor('acq_alpha', 10_001n, 'EUR'), 160n, 'above 100.00 the 1.4 % tier applies to all of it');
  assert.equal(fees.estimateMinor('acq_alpha', 10_000n, 'JPY'), 140n, '10,000 yen is past the 100 bound: 1.4 %, and the fixed 0.20 rounds to 0 yen');
  assert.equal(fees.estimateMinor('acq_alpha', 10_000n, 'XYZ'), null);
  assert.equal(fees.estimateMinor('nowhere', 10_000n, 'EUR'), null);
});

test('an A/B split by payment id hash lands within 1 % of its weights over 100,000 ids and is stable', () => {
  const r = testRule({ arms: [testArm({ armId: 'scored', weightPercent: 30, strategy: 'SCORED', channelId: '', fallbackChannelIds: [] }), testArm({ armId: 'fixed', weightPercent: 70 })] });
  let scored = 0;
  for (let i = 0; i < 100_000; i += 1) if (pickArm(r, `pay-${i}`).armId === 'scored') scored += 1;
  assert.ok(Math.abs(scored / 100_000 - 0.3) < 0.01, `scored share ${scored / 100_000}`);
  const again = Array.from({ length: 1000 }, (_, i) => pickArm(r, `pay-${i}`).armId);
  assert.deepEqual(again, Array.from({ length: 1000 }, (_, i) => pickArm(r, `pay-${i}`).armId));
  const routed = route([r], {}, undefined, 'm-1', 'pay-7');
  assert.equal(routed.experimentArm, pickArm(r, 'pay-7').armId);
});

test('a 50/50 split over sequential uuid-like ids stays within 1 %', () => {
  const r = testRule({ arms: [testArm({ armId: 'x', weightPercent: 50 }), testArm({ armId: 'y', weightPercent: 50 })] });
  let x = 0;
  for (let i = 0; i < 100_000; i += 1) if (pickArm(r, `0193a5b2-7c1e-7000-8000-${i.toString(16).padStart(12, '0')}`).armId === 'x') x += 1;
  assert.ok(Math.abs(x / 100_000 - 0.5) < 0.01, `x share ${x / 100_000}`);
});
