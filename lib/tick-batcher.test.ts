import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TickBatcher } from './tick-batcher.ts';

test('calls made in one turn share one run, each gets its own result', async () => {
  const runs: number[][] = [];
  const batcher = new TickBatcher<number, number>(async (items) => {
    runs.push(items);
    return items.map((i) => i * 10);
  }, 100);
  const first = await Promise.all([1, 2, 3].map((i) => batcher.submit(i)));
  const second = await Promise.all([4, 5].map((i) => batcher.submit(i)));
  assert.deepEqual(first, [10, 20, 30]);
  assert.deepEqual(second, [40, 50]);
  assert.deepEqual(runs, [[1, 2, 3], [4, 5]]);
});

test('a turn with more than maxItems calls is cut into batches in order', async () => {
  const runs: number[][] = [];
  const batcher = new TickBatcher<number, string>(async (items) => {
    runs.push(items);
    return items.map(String);
  }, 2);
  assert.deepEqual(await Promise.all([1, 2, 3, 4, 5].map((i) => batcher.submit(i))), ['1', '2', '3', '4', '5']);
  assert.deepEqual(runs, [[1, 2], [3, 4], [5]]);
});

test('a failed run fails every caller of its batch, and only those', async () => {
  let calls = 0;
  const batcher = new TickBatcher<number, number>((items) => {
    calls += 1;
    if (calls === 1) throw new Error('down');
    return Promise.resolve(items);
  }, 10);
  const failed = await Promise.allSettled([batcher.submit(1), batcher.submit(2)]);
  assert.deepEqual(failed.map((f) => f.status), ['rejected', 'rejected']);
  assert.equal(await batcher.submit(3), 3);
});

test('a run that answers the wrong number of results fails its batch', async () => {
  const batcher = new TickBatcher<number, number>(async () => [1], 10);
  await assert.rejects(Promise.all([batcher.submit(1), batcher.submit(2)]), /a batch of 2 got 1 results/);
  assert.throws(() => new TickBatcher(async () => [], 0), RangeError);
});
