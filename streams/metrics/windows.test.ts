import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '../runtime/testing/seeded-random.ts';
import { Tally, type TallySummary } from './aggregate.ts';
import type { Dimension, Observation } from './observe.ts';
import { WindowedAggregator, type ClosedWindow } from './windows.ts';

const SIZES = [10_000, 60_000];
const OOO = 2_000;
const LATENESS = 10_000;
const T0 = 1_767_225_600_000;

function observation(r: () => number, atMs: number, i: number): Observation {
  const success = r() < 0.8;
  const channel = ['acq_alpha', 'acq_beta', 'wallet_a'][Math.floor(r() * 3)] ?? 'acq_alpha';
  const dimensions: Array<{ dimension: Dimension; value: string }> = [
    { dimension: 'MERCHANT', value: `m${Math.floor(r() * 4)}` },
    { dimension: 'METHOD', value: channel === 'wallet_a' ? 'WALLET_A' : 'CARD' },
    { dimension: 'CHANNEL', value: channel },
  ];
  if (r() < 0.5) dimensions.push({ dimension: 'ARM', value: `split@1/${r() < 0.5 ? 'a' : 'b'}` });
  return {
    atMs,
    paymentId: `p${i}`,
    currency: r() < 0.7 ? 'EUR' : 'JPY',
    success,
    latencyMs: r() < 0.9 ? 5 + Math.floor(r() * r() * 3_000) : null,
    amountMinor: success ? BigInt(1 + Math.floor(r() * 1_000_000)) : 0n,
    completion: success ? (r() < 0.7 ? 'sync' : 'async') : null,
    dimensions,
  };
}

/**
 * Events in arrival order: event times advance with the clock, each shifted back by a random
 * delay; most within the out-of-orderness bound, some beyond it, a few far beyond the lateness.
 */
function arrivals(seed: number, count: number): Observation[] {
  const r = seededRandom(seed);
  const out: Observation[] = [];
  for (let i = 0; i < count; i += 1) {
    const arrivalMs = T0 + i * 37;
    const roll = r();
    const delayMs = roll < 0.8 ? Math.floor(r() * OOO) : roll < 0.97 ? Math.floor(r() * (LATENESS + OOO)) : LATENESS + 10_000 + Math.floor(r() * 60_000);
    out.push(observation(r, arrivalMs - delayMs, i));
  }
  return out;
}

/** The rule stated independently: late for a size when its window's end plus the lateness is at or below the watermark of the events before it. */
function lateIndexes(events: readonly Observation[]): Map<number, Set<number>> {
  const late = new Map(SIZES.map((size) => [size, new Set<number>()]));
  let watermark = Number.NEGATIVE_INFINITY;
  events.forEach((e, i) => {
    for (const size of SIZES) if (Math.floor(e.atMs / size) * size + size + LATENESS <= watermark) late.get(size)?.add(i);
    watermark = Math.max(watermark, e.atMs - OOO);
  });
  return late;
}

type Row = { key: string; summary: TallySummary };

function batch(events: readonly Observation[], late: ReadonlyMap<number, ReadonlySet<number>>): Row[] {
  const tallies = new Map<string, Tally>();
  events.forEach((e, i) => {
    for (const size of SIZES) {
      if (late.get(size)?.has(i) === true) continue;
      const start = Math.floor(e.atMs / size) * size;
      for (const d of e.dimensions) {
        const key = `${size}|${start}|${d.dimension}|${d.value}|${e.currency}`;
        let t = tallies.get(key);
        if (t === undefined) {
          t = new Tally();
          tallies.set(key, t);
        }
        t.add(e);
      }
    }
  });
  return [...tallies].map(([key, t]) => ({ key, summary: t.summary() })).sort((a, b) => a.key.localeCompare(b.key));
}

function rows(windows: readonly ClosedWindow[]): Row[] {
  return windows.map((w) => ({ key: `${w.sizeMs}|${w.startMs}|${w.dimension}|${w.value}|${w.currency}`, summary: w.tally.summary() })).sort((a, b) => a.key.localeCompare(b.key));
}

for (const seed of [1, 2, 3, 42, 2026]) {
  test(`windows over out-of-order and late events equal a batch computation over the same events, late ones counted (seed ${seed})`, () => {
    const events = arrivals(seed, 4_000);
    const late = lateIndexes(events);
    const lateAny = new Set(SIZES.flatMap((size) => [...(late.get(size) ?? [])]));
    assert.ok((late.get(60_000)?.size ?? 0) > 0 && lateAny.size < events.length / 10, `the schedule has some late events (${lateAny.size})`);
    assert.ok((late.get(10_000)?.size ?? 0) > (late.get(60_000)?.size ?? 0), 'some are late for 10 s windows only, and still count in their minute');
    const agg = new WindowedAggregator({ sizesMs: SIZES, outOfOrdernessMs: OOO, allowedLatenessMs: LATENESS });
    const emitted: ClosedWindow[] = [];
    const results = events.map((e) => {
      const result = agg.add(e);
      // Windows are drained as the stream goes, the way the processor drains after each batch.
      emitted.push(...agg.drainClosed());
      return result;
    });
    agg.advanceTo(Number.POSITIVE_INFINITY);
    emitted.push(...agg.drainClosed());
    assert.deepEqual(new Set(results.flatMap((r, i) => (r === 'late' ? [i] : []))), lateAny, 'exactly the late events were refused');
    assert.deepEqual(agg.lateCounts(), Object.fromEntries(SIZES.map((size) => [size, late.get(size)?.size ?? 0])));
    const keys = emitted.map((w) => `${w.sizeMs}|${w.startMs}|${w.dimension}|${w.value}|${w.currency}`);
    assert.equal(new Set(keys).size, keys.length, 'each window emitted once');
    assert.deepEqual(rows(emitted), batch(events, late));
  });
}

test('a window closes only once the watermark passed its end plus the allowed lateness', () => {
  const r = seededRandom(9);
  const agg = new WindowedAggregator({ sizesMs: [10_000], outOfOrdernessMs: OOO, allowedLatenessMs: LATENESS });
  agg.add(observation(r, T0 + 1_000, 1));
  agg.add(observation(r, T0 + 10_000 + LATENESS + OOO - 1, 2));
  assert.deepEqual(agg.drainClosed(), [], 'watermark one ms short of the first window end plus lateness');
  agg.add(observation(r, T0 + 10_000 + LATENESS + OOO, 3));
  const closed = agg.drainClosed();
  assert.ok(closed.length > 0 && closed.every((w) => w.startMs === T0 && w.tally.requests === 1));
});

test('after a restart, events of windows emitted before are skipped without being counted late; open windows fill again', () => {
  const r = seededRandom(11);
  const agg = new WindowedAggregator({ sizesMs: [10_000], outOfOrdernessMs: OOO, allowedLatenessMs: LATENESS, emittedThrough: { 10_000: T0 + 10_000 } });
  assert.equal(agg.add(observation(r, T0 + 5_000, 1), { partition: 0, offset: 3n, handledBefore: true }), 'emitted_before');
  assert.equal(agg.add(observation(r, T0 + 12_000, 2), { partition: 0, offset: 4n, handledBefore: true }), 'counted');
  assert.deepEqual(agg.lateCounts(), { 10_000: 0 });
  assert.equal(agg.add(observation(r, T0 + 6_000, 3), { partition: 0, offset: 9n, handledBefore: false }), 'late', 'a record the previous run never saw, for a window it emitted, is late');
  assert.deepEqual(agg.lateCounts(), { 10_000: 1 });
  agg.advanceTo(Number.POSITIVE_INFINITY);
  const closed = agg.drainClosed();
  assert.ok(closed.every((w) => w.startMs === T0 + 10_000));
  assert.deepEqual(agg.emittedThrough(), { 10_000: T0 + 20_000 });
});

test('the lowest offset each partition still needs is that of the oldest record in an open window', () => {
  const r = seededRandom(12);
  const agg = new WindowedAggregator({ sizesMs: [10_000], outOfOrdernessMs: 0, allowedLatenessMs: 0 });
  agg.add(observation(r, T0 + 1_000, 1), { partition: 0, offset: 5n });
  agg.add(observation(r, T0 + 2_000, 2), { partition: 1, offset: 7n });
  agg.add(observation(r, T0 + 11_000, 3), { partition: 0, offset: 6n });
  assert.deepEqual([...agg.lowOffsets()].sort(), [[0, 5n], [1, 7n]]);
  assert.deepEqual(agg.drainClosed(), [], 'partition 1 is still in the first window: the watermark follows the slowest partition');
  agg.assign([0, 1, 2]);
  agg.add(observation(r, T0 + 10_500, 5), { partition: 1, offset: 9n });
  assert.deepEqual(agg.drainClosed(), [], 'partition 2 is assigned and has sent nothing yet: it holds the watermark');
  agg.assign([0, 1]);
  assert.ok(agg.drainClosed().length > 0, 'partition 2 revoked: the first window closes');
  assert.deepEqual([...agg.lowOffsets()].sort(), [[0, 6n], [1, 9n]], 'each partition is needed from its first record of the second window');
});
