import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTraceparent, nextHop, parseTraceparent } from './traceparent.ts';

const VALID = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

test('traceparent parses the W3C example and formats it back', () => {
  const ctx = parseTraceparent(VALID);
  assert.deepEqual(ctx, { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', flags: 1 });
  assert.equal(formatTraceparent(ctx as NonNullable<typeof ctx>), VALID);
});

test('traceparent rejects malformed values', () => {
  const bad: Array<string | undefined> = [
    undefined,
    '',
    'garbage',
    '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7',
    '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra',
    'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    '0-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01',
    '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
    '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
    '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01',
    '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-01',
    '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1',
    '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-zz',
    '00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01',
  ];
  for (const value of bad) assert.equal(parseTraceparent(value), undefined, String(value));
});

test('traceparent of a later version may carry extra fields', () => {
  assert.equal(parseTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-ever')?.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
});

test('a hop keeps the trace id and flags, takes a new span id and remembers the parent', () => {
  const hop = nextHop('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00');
  assert.equal(hop.context.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
  assert.equal(hop.context.flags, 0);
  assert.equal(hop.parentSpanId, '00f067aa0ba902b7');
  assert.match(hop.context.spanId, /^[0-9a-f]{16}$/);
  assert.notEqual(hop.context.spanId, '00f067aa0ba902b7');
  assert.ok(parseTraceparent(formatTraceparent(hop.context)) !== undefined);
});

test('a hop without a valid incoming traceparent starts a sampled trace', () => {
  for (const incoming of [undefined, 'nonsense']) {
    const hop = nextHop(incoming);
    assert.equal(hop.parentSpanId, undefined);
    assert.equal(hop.context.flags, 1);
    assert.ok(parseTraceparent(formatTraceparent(hop.context)) !== undefined);
  }
});

test('a hop never uses an all-zero id, even when the random source yields one', () => {
  let calls = 0;
  const random = (n: number): string => {
    calls += 1;
    return (calls <= 2 ? Buffer.alloc(n) : Buffer.alloc(n, 0xab)).toString('hex');
  };
  const hop = nextHop(undefined, random);
  assert.equal(hop.context.spanId, 'ab'.repeat(8));
  assert.equal(hop.context.traceId, 'ab'.repeat(16));
});
