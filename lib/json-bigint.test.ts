import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWithBigints, stringifyWithBigints } from './json-bigint.ts';

test('bigints survive a JSON round trip exactly, beside ordinary values', () => {
  const value = { amount: 9_007_199_254_740_993n, negative: -5n, list: [1n, 'x', null], nested: { n: 2, ok: true } };
  assert.deepEqual(parseWithBigints(stringifyWithBigints(value)), value);
});

test('an object that merely looks tagged but is not a bigint string stays an object', () => {
  assert.deepEqual(parseWithBigints('{"a":{"$bigint":"12x"},"b":{"$bigint":"1","c":2}}'), { a: { $bigint: '12x' }, b: { $bigint: '1', c: 2 } });
});
