import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RouterError } from './errors.ts';
import { RULES_MAX } from './limits.ts';
import { assertValidRule, ruleIssues, RuleSet } from './rules.ts';
import { testArm, testRule } from './testing.ts';

test('a valid rule has no issues', () => {
  assert.deepEqual(ruleIssues(testRule()), []);
});

test('validation lists every problem of a bad rule at once, in words an operator can act on', () => {
  const bad = testRule({
    ruleId: 'bad id!', version: 0, currency: 'eur', minAmountMinor: 500n, maxAmountMinor: 100n,
    timeWindow: { startMinute: 1500, endMinute: 1500, timeZone: 'Mars/Olympus' },
    allowChannelIds: ['acq_alpha', 'nope'], denyChannelIds: ['acq_alpha'],
    arms: [testArm({ weightPercent: 60 }), testArm({ weightPercent: 30, channelId: '' })],
  });
  const issues = ruleIssues(bad);
  const expected = [/^ruleId must be/, /^version must be/, /^currency must be an ISO 4217/, /minAmountMinor 500 is above maxAmountMinor 100/, /timeWindow.startMinute must be 0-1439/, /timeWindow is empty/, /not an IANA time zone/, /allowChannelIds: unknown channel "nope"/, /acq_alpha is both allowed and denied/, /a FIXED arm names its channelId/, /weightPercent must sum to 100; got 90/, /armId must be unique/];
  for (const e of expected) assert.ok(issues.some((i) => e.test(i)), `missing ${String(e)} in ${issues.join(' | ')}`);
  assert.throws(() => assertValidRule(bad), (err: unknown) => err instanceof RouterError && err.code === 'rule_invalid' && err.issues.length === issues.length);
});

test('an experiment has at most two arms and a scored arm needs a weight', () => {
  const three = testRule({ arms: [testArm({ armId: 'a', weightPercent: 34 }), testArm({ armId: 'b', weightPercent: 33 }), testArm({ armId: 'c', weightPercent: 33 })] });
  assert.ok(ruleIssues(three).some((i) => i.startsWith('arms: at most 2')));
  const zero = testRule({ arms: [testArm({ strategy: 'SCORED', scoreWeights: { fee: 0, successRate: 0, latency: 0, preferred: 0 } })] });
  assert.ok(ruleIssues(zero).some((i) => i.includes('needs a score weight')));
});

test('a rule set applies changes into a new set and leaves the old one untouched', () => {
  const v1 = RuleSet.EMPTY.applied([{ ruleId: 'r1', rule: testRule() }], () => assert.fail('nothing to skip'));
  const v2 = v1.applied([{ ruleId: 'r1', rule: testRule({ version: 2, priority: 1 }) }, { ruleId: 'r2', rule: testRule({ ruleId: 'r2' }) }], () => assert.fail('nothing to skip'));
  assert.equal(v1.rules.length, 1);
  assert.equal(v1.get('r1')?.version, 1);
  assert.equal(v2.get('r1')?.version, 2);
  assert.deepEqual(v2.rules.map((r) => r.ruleId), ['r1', 'r2']);
  assert.ok(Object.isFrozen(v2.rules));
  const v3 = v2.applied([{ ruleId: 'r2', rule: null }], () => assert.fail('nothing to skip'));
  assert.deepEqual(v3.rules.map((r) => r.ruleId), ['r1']);
});

test('a stale version, an invalid rule and a key that differs from the rule id are skipped, keeping the held rule', () => {
  const held = RuleSet.of([testRule({ version: 5 })]);
  const skipped: string[] = [];
  const next = held.applied([
    { ruleId: 'r1', rule: testRule({ version: 4 }) },
    { ruleId: 'r1', rule: testRule({ version: 6, currency: 'euro' }) },
    { ruleId: 'other', rule: testRule({ version: 7 }) },
  ], (id, why) => skipped.push(`${id}: ${why}`));
  assert.equal(next.get('r1')?.version, 5);
  assert.equal(next.get('other'), undefined);
  assert.equal(skipped.length, 3);
  assert.match(skipped[0] ?? '', /version 4 is below the held 5/);
});

test('a change that would hold more than RULES_MAX rules is refused whole and the set in use stays', () => {
  const full = RuleSet.of(Array.from({ length: RULES_MAX }, (_, i) => testRule({ ruleId: `r${i}` })));
  const skipped: string[] = [];
  const next = full.applied([{ ruleId: 'one-more', rule: testRule({ ruleId: 'one-more' }) }, { ruleId: 'r0', rule: null }, { ruleId: 'two-more', rule: testRule({ ruleId: 'two-more' }) }], (id, why) => skipped.push(`${id}: ${why}`));
  assert.equal(next, full);
  assert.match(skipped[0] ?? '', /at most 1000/);
});
