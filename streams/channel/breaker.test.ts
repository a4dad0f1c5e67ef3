import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLOSED, failureRate, isCallable, recordOutcome, releaseWithoutOutcome, tryAcquire, type BreakerOptions, type BreakerState } from './breaker.ts';

const options: BreakerOptions = {
  windowMs: 10_000,
  buckets: 10,
  callsMin: 10,
  failureRateOpen: 0.5,
  cooldownMs: 5_000,
  probesMax: 2,
  probeSuccessesToClose: 2,
};

function calls(state: BreakerState, nowMs: number, oks: boolean[]): BreakerState {
  let s = state;
  for (const ok of oks) {
    const acquired = tryAcquire(s, nowMs, options);
    assert.ok(acquired.allowed);
    s = recordOutcome(acquired.state, nowMs, ok, options);
  }
  return s;
}

const open = (nowMs: number): BreakerState => calls(CLOSED, nowMs, Array<boolean>(10).fill(false));

test('breaker stays closed below the minimum number of calls, however many fail', () => {
  const s = calls(CLOSED, 0, Array<boolean>(9).fill(false));
  assert.equal(s.kind, 'closed');
  assert.equal(failureRate(s, 0, options), 1);
});

test('breaker opens when the failure rate in the window reaches the threshold', () => {
  const s = calls(CLOSED, 1_000, [true, true, true, true, true, false, false, false, false, false]);
  assert.deepEqual(s, { kind: 'open', openedAtMs: 1_000 });
  assert.equal(tryAcquire(s, 1_001, options).allowed, false);
});

test('breaker forgets failures older than its window', () => {
  let s = calls(CLOSED, 0, Array<boolean>(9).fill(false));
  s = calls(s, 10_500, [false]);
  assert.equal(s.kind, 'closed');
  assert.equal(failureRate(s, 10_500, options), 1);
  s = calls(s, 10_600, Array<boolean>(9).fill(true));
  assert.equal(s.kind, 'closed');
  assert.equal(failureRate(s, 10_600, options), 0.1);
});

test('an open breaker lets probes through after its cool-down and no more than the probe limit', () => {
  const s = open(0);
  assert.equal(isCallable(s, 4_999, options), false);
  const first = tryAcquire(s, 5_000, options);
  assert.ok(first.allowed);
  assert.equal(first.state.kind, 'half_open');
  const second = tryAcquire(first.state, 5_001, options);
  assert.ok(second.allowed);
  assert.equal(tryAcquire(second.state, 5_002, options).allowed, false);
});

test('enough probe successes close a half-open breaker with an empty window', () => {
  let s = tryAcquire(open(0), 5_000, options).state;
  s = tryAcquire(s, 5_000, options).state;
  s = recordOutcome(s, 5_100, true, options);
  assert.equal(s.kind, 'half_open');
  s = recordOutcome(s, 5_200, true, options);
  assert.deepEqual(s, CLOSED);
});

test('a probe failure re-opens the breaker and restarts its cool-down', () => {
  let s = tryAcquire(open(0), 5_000, options).state;
  s = recordOutcome(s, 5_300, false, options);
  assert.deepEqual(s, { kind: 'open', openedAtMs: 5_300 });
  assert.equal(isCallable(s, 10_299, options), false);
  assert.equal(isCallable(s, 10_300, options), true);
});

test('a cancelled probe frees its slot', () => {
  let s = tryAcquire(open(0), 5_000, options).state;
  s = tryAcquire(s, 5_000, options).state;
  assert.equal(isCallable(s, 5_000, options), false);
  s = releaseWithoutOutcome(s);
  assert.equal(isCallable(s, 5_000, options), true);
  assert.deepEqual(releaseWithoutOutcome(CLOSED), CLOSED);
});

test('a late outcome of a call made before the breaker opened changes nothing', () => {
  const s = open(0);
  assert.deepEqual(recordOutcome(s, 100, true, options), s);
  assert.deepEqual(recordOutcome(s, 100, false, options), s);
});

test('breaker window memory stays bounded by its bucket count', () => {
  let s: BreakerState = CLOSED;
  for (let t = 0; t < 100_000; t += 97) s = calls(s, t, [true]);
  assert.equal(s.kind, 'closed');
  if (s.kind === 'closed') assert.ok(s.buckets.length <= options.buckets);
});
