import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FetchWaiters } from './fetch-waiters.ts';

test('fetch waiters wake a parked fetch when one of its partitions is notified', async () => {
  const waiters = new FetchWaiters();
  const started = Date.now();
  const parked = waiters.waitForChange([{ topic: 'a', partition: 0 }, { topic: 'b', partition: 1 }], 10_000);
  assert.equal(waiters.parkedCount, 1);
  waiters.notify('b', 0);
  assert.equal(waiters.parkedCount, 1, 'another partition of the topic does not wake it');
  waiters.notify('b', 1);
  await parked;
  assert.ok(Date.now() - started < 5_000);
  assert.equal(waiters.parkedCount, 0);
});

test('fetch waiters release a parked fetch when its max wait passes', async () => {
  const waiters = new FetchWaiters();
  await waiters.waitForChange([{ topic: 'a', partition: 0 }], 20);
  assert.equal(waiters.parkedCount, 0);
});

test('fetch waiters wake everything on wakeAll', async () => {
  const waiters = new FetchWaiters();
  const one = waiters.waitForChange([{ topic: 'a', partition: 0 }], 10_000);
  const two = waiters.waitForChange([], 10_000);
  waiters.wakeAll();
  await Promise.all([one, two]);
  assert.equal(waiters.parkedCount, 0);
});
