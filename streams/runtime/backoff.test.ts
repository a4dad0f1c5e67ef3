import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelayMs, DEFAULT_BACKOFF } from './backoff.ts';
import { HANDLE_ATTEMPTS_MAX, RETRY_DELAY_MS_INITIAL, RETRY_DELAY_MS_MAX, retryBudgetMs } from './limits.ts';

const policy = { initialMs: 100, maxMs: 1_000, factor: 2 };

test('backoff doubles per retry and stops at its ceiling', () => {
  const top = () => 0.999999;
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6].map((r) => backoffDelayMs(r, policy, top)),
    [100, 200, 400, 800, 1_000, 1_000],
  );
});

test('backoff jitter keeps at least half the nominal delay', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5].map((r) => backoffDelayMs(r, policy, () => 0)),
    [50, 100, 200, 400, 500],
  );
  for (let i = 0; i < 200; i += 1) {
    const d = backoffDelayMs(3, policy);
    assert.ok(d >= 200 && d <= 400, `delay ${d}`);
  }
});

test('backoff treats a random source outside [0, 1) as no jitter', () => {
  assert.equal(backoffDelayMs(1, policy, () => 7), 50);
  assert.equal(backoffDelayMs(1, policy, () => Number.NaN), 50);
  assert.equal(backoffDelayMs(1, policy, () => -1), 50);
});

test('backoff rejects a retry number that is not a positive integer', () => {
  for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) assert.throws(() => backoffDelayMs(bad, policy), RangeError, String(bad));
});

test('the default policy is the named limits, and a record retries at most the budget', () => {
  assert.deepEqual({ ...DEFAULT_BACKOFF }, { initialMs: RETRY_DELAY_MS_INITIAL, maxMs: RETRY_DELAY_MS_MAX, factor: 2 });
  let worst = 0;
  for (let r = 1; r < HANDLE_ATTEMPTS_MAX; r += 1) worst += backoffDelayMs(r, DEFAULT_BACKOFF, () => 0.999999);
  assert.ok(worst <= retryBudgetMs(), `${worst} <= ${retryBudgetMs()}`);
});
