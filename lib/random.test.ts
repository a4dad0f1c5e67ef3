import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomHex } from './random.ts';

test('randomHex gives hex of the asked length and never repeats across pool refills', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 2_000; i += 1) {
    const id = randomHex(16);
    assert.match(id, /^[0-9a-f]{32}$/);
    assert.ok(!seen.has(id), 'an id repeated');
    seen.add(id);
  }
});

test('randomHex refuses sizes it cannot serve', () => {
  assert.throws(() => randomHex(0), RangeError);
  assert.throws(() => randomHex(4097), RangeError);
  assert.throws(() => randomHex(1.5), RangeError);
});
