import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_RULES, validateRules, type RiskRules } from './rules.ts';
import { decide, isJustUnder, type RiskFacts } from './score.ts';

const rules: RiskRules = { ...DEFAULT_RULES, velocity: { customer: { windowS: 600, countMax: 10 }, device: { windowS: 600, countMax: 15 }, ip: { windowS: 600, countMax: 30 } } };
const T = DEFAULT_RULES.thresholds.DEFAULT ?? assert.fail('no defaults');
const base: RiskFacts = { amountMinor: 5_000, currency: 'EUR', customerId: 'c1', deviceId: 'd1', ip: '203.0.113.1', customerCount: 1, deviceCount: 1, ipCount: 1, customerDailyMinor: 5_000, historyCount: 0, historySumMinor: 0, justUnderCount: 0, newDevice: false };

test('a plain payment is approved with score 0 and no reasons', () => {
  assert.deepEqual(decide(rules, base), { score: 0, decision: 'APPROVE', reasons: [] });
});

test('velocity per customer, device and IP: at the limit approved, one over declined', () => {
  for (const [field, max, reason] of [['customerCount', 10, 'velocity_customer'], ['deviceCount', 15, 'velocity_device'], ['ipCount', 30, 'velocity_ip']] as const) {
    assert.notEqual(decide(rules, { ...base, [field]: max }).decision, 'DECLINE', `${field} at ${max}`);
    const over = decide(rules, { ...base, [field]: max + 1 });
    assert.equal(over.decision, 'DECLINE', `${field} at ${max + 1}`);
    assert.ok(over.reasons.includes(reason));
  }
});

test('the reporting threshold: one minor unit below approved, at it reviewed', () => {
  assert.equal(decide(rules, { ...base, amountMinor: T.reportingMinor - 1 }).decision, 'APPROVE');
  const at = decide(rules, { ...base, amountMinor: T.reportingMinor });
  assert.equal(at.decision, 'REVIEW');
  assert.deepEqual(at.reasons, ['aml_reporting_threshold']);
});

test('structuring: the third payment just under the threshold within 24 h is reviewed, the second is not', () => {
  const under = T.reportingMinor - 1_000;
  assert.ok(isJustUnder(under, T.reportingMinor, T.structuringBand));
  assert.ok(!isJustUnder(Math.floor(T.reportingMinor * (1 - T.structuringBand)) - 1, T.reportingMinor, T.structuringBand), 'below the band is not "just under"');
  assert.equal(decide(rules, { ...base, amountMinor: under, justUnderCount: T.structuringCount - 1 }).decision, 'APPROVE');
  const third = decide(rules, { ...base, amountMinor: under, justUnderCount: T.structuringCount });
  assert.equal(third.decision, 'REVIEW');
  assert.ok(third.reasons.includes('aml_structuring'));
});

test('a new device with a high amount is reviewed; the same amount from a known device is not', () => {
  assert.equal(decide(rules, { ...base, amountMinor: T.newDeviceHighMinor, newDevice: false }).decision, 'APPROVE');
  assert.equal(decide(rules, { ...base, amountMinor: T.newDeviceHighMinor - 1, newDevice: true }).decision, 'APPROVE');
  assert.ok(decide(rules, { ...base, amountMinor: T.newDeviceHighMinor, newDevice: true }).reasons.includes('new_device_high_amount'));
});

test("an amount far above the customer's own average adds to the score; with too little history it does not", () => {
  const history = { historyCount: 3, historySumMinor: 3_000 };
  assert.ok(!decide(rules, { ...base, ...history, amountMinor: 5_000 }).reasons.includes('amount_anomaly'), 'five times the average is the limit');
  assert.ok(decide(rules, { ...base, ...history, amountMinor: 5_001 }).reasons.includes('amount_anomaly'));
  assert.ok(!decide(rules, { ...base, historyCount: 2, historySumMinor: 2_000, amountMinor: 50_000 }).reasons.includes('amount_anomaly'));
});

test('the daily total per customer and the blocklists decline', () => {
  assert.equal(decide(rules, { ...base, customerDailyMinor: T.customerDailyMinor }).decision, 'APPROVE');
  assert.equal(decide(rules, { ...base, customerDailyMinor: T.customerDailyMinor + 1 }).decision, 'DECLINE');
  const blocked: RiskRules = { ...rules, blocklist: { customers: ['c1'], devices: [], ips: [] } };
  assert.deepEqual(decide(blocked, base).reasons, ['blocklist_customer']);
});

test('rule files are validated by path, and thresholds per currency', () => {
  assert.deepEqual(validateRules(DEFAULT_RULES), []);
  const bad = validateRules({ ...DEFAULT_RULES, reviewScore: 950, velocity: { ...DEFAULT_RULES.velocity, ip: { windowS: 0, countMax: 3 } }, thresholds: { eur: { ...T } } });
  assert.ok(bad.includes('velocity.ip.windowS must be a positive integer'), bad.join('; '));
  assert.ok(bad.includes('thresholds.DEFAULT is required'));
  assert.ok(bad.includes('thresholds.eur: not a currency code'));
  assert.ok(bad.includes('reviewScore < declineScore <= 1000 is required'));
  const jpy = DEFAULT_RULES.thresholds.JPY?.reportingMinor ?? 0;
  assert.equal(decide(rules, { ...base, currency: 'JPY', amountMinor: T.reportingMinor }).decision, 'APPROVE', 'JPY has its own threshold');
  assert.equal(decide(rules, { ...base, currency: 'JPY', amountMinor: jpy }).decision, 'REVIEW');
});
