import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChannelBreaker, type BreakerKind, type BreakerOptions } from './breaker.ts';
import { waitFor } from '../../test/helpers/wait.ts';

const options: BreakerOptions = { windowMs: 10_000, buckets: 10, callsMin: 4, failureRateOpen: 0.5, cooldownMs: 50 };
const healthy = (answer: string): boolean => answer !== 'down';

function breaker(): { b: ChannelBreaker; changes: BreakerKind[] } {
  const changes: BreakerKind[] = [];
  const b = new ChannelBreaker('test', options, (kind) => changes.push(kind));
  return { b, changes };
}

test('breaker stays closed below the minimum number of calls, however many fail, and returns unhealthy answers as they came', async () => {
  const { b } = breaker();
  try {
    for (let i = 0; i < 3; i += 1) assert.equal(await b.run(async () => 'down', healthy), 'down');
    assert.equal(b.kind, 'closed');
    assert.ok(b.callable());
  } finally {
    b.shutdown();
  }
});

test('breaker opens above the failure rate once the window holds enough calls, and then refuses without calling', async () => {
  const { b, changes } = breaker();
  try {
    for (const answer of ['ok', 'ok', 'down', 'down']) await b.run(async () => answer, healthy);
    assert.equal(b.kind, 'closed', 'two of four is not above one half');
    await b.run(async () => 'down', healthy);
    assert.equal(b.kind, 'open');
    assert.deepEqual(changes, ['open']);
    let called = false;
    assert.equal(
      await b.run(async () => {
        called = true;
        return 'ok';
      }, healthy),
      'refused',
    );
    assert.equal(called, false);
  } finally {
    b.shutdown();
  }
});

test('breaker half-open lets exactly one probe through: its healthy answer closes, an unhealthy one re-opens', async () => {
  const { b, changes } = breaker();
  try {
    for (let i = 0; i < 4; i += 1) await b.run(async () => 'down', healthy);
    assert.equal(b.kind, 'open');
    await waitFor(() => b.kind === 'half_open', { timeoutMs: 5_000, message: () => 'half-open after the cool-down' });
    let release: (answer: string) => void = () => undefined;
    const probe = b.run(() => new Promise<string>((resolve) => (release = resolve)), healthy);
    assert.equal(b.callable(), false, 'the probe is out');
    assert.equal(await b.run(async () => 'ok', healthy), 'refused');
    release('down');
    assert.equal(await probe, 'down');
    assert.equal(b.kind, 'open');
    await waitFor(() => b.kind === 'half_open', { timeoutMs: 5_000, message: () => 'half-open again' });
    assert.equal(await b.run(async () => 'ok', healthy), 'ok');
    assert.equal(b.kind, 'closed');
    assert.deepEqual(changes, ['open', 'half_open', 'open', 'half_open', 'closed']);
  } finally {
    b.shutdown();
  }
});

test('a call that throws counts as a failure and its error reaches the caller', async () => {
  const { b } = breaker();
  try {
    for (let i = 0; i < 4; i += 1) await assert.rejects(b.run(async () => Promise.reject(new Error('socket closed')), healthy), /socket closed/);
    assert.equal(b.kind, 'open');
  } finally {
    b.shutdown();
  }
});
