/**
 * Payment outcomes per second through the metric aggregator (Avro decode, observe, count into the
 * 10 s and 1 min windows of four dimensions with HDR latency histograms, close and summarise the
 * windows), next to decoding and observing the same records alone, in the same run. The events
 * arrive in order with a little disorder, as the aggregator reads them from payments.events; the
 * Kafka part is the broker benchmarks' concern.
 */
import { schemaType } from '../schemas/schema-files.ts';
import { SAMPLES } from '../schemas/samples.ts';
import type { PaymentEvent } from '../schemas/types.ts';
import { observe } from '../streams/metrics/observe.ts';
import { WindowedAggregator } from '../streams/metrics/windows.ts';
import { ALLOWED_LATENESS_MS, OUT_OF_ORDERNESS_MS, WINDOW_SIZES_MS } from '../streams/metrics/limits.ts';
import { seededRandom } from '../streams/runtime/testing/seeded-random.ts';
import { recordFigure } from './lib/result.ts';

const RUNS = 5;
const EVENTS = 200_000;
/** Outcomes per second of event time: the records span EVENTS / RATE seconds of windows. */
const EVENT_RATE_PER_S = 2_000;
const T0 = 1_767_225_600_000;

function encoded(): Buffer[] {
  const type = schemaType('PaymentEvent');
  const r = seededRandom(7);
  const out: Buffer[] = [];
  for (let i = 0; i < EVENTS; i += 1) {
    const type_ = r() < 0.85 ? 'SUCCEEDED' : 'FAILED';
    const amount = BigInt(100 + Math.floor(r() * 100_000));
    const e: PaymentEvent = {
      ...SAMPLES.PaymentEvent,
      paymentId: `pay-${i}`,
      merchantId: `m${i % 200}`,
      type: type_,
      status: type_,
      amountMinor: amount,
      capturedMinor: type_ === 'SUCCEEDED' ? amount : 0n,
      currency: i % 5 === 0 ? 'JPY' : 'EUR',
      channelId: ['acq_alpha', 'acq_beta', 'wallet_a', 'wallet_b'][i % 4] ?? 'acq_alpha',
      experimentArm: i % 3 === 0 ? (r() < 0.5 ? 'a' : 'b') : null,
      completion: type_ === 'SUCCEEDED' ? 'SYNC' : null,
      channelLatencyMs: 20 + Math.floor(r() * r() * 2_000),
      occurredAtMs: T0 + Math.floor((i * 1000) / EVENT_RATE_PER_S) - Math.floor(r() * 500),
    };
    out.push(type.toBuffer(e));
  }
  return out;
}

function decodeOnly(records: readonly Buffer[]): number {
  const type = schemaType('PaymentEvent');
  const started = performance.now();
  let outcomes = 0;
  for (const bytes of records) if (observe(type.fromBuffer(bytes) as PaymentEvent) !== undefined) outcomes += 1;
  if (outcomes !== records.length) throw new Error(`${outcomes} outcomes of ${records.length}`);
  return records.length / ((performance.now() - started) / 1000);
}

function aggregate(records: readonly Buffer[]): { perS: number; windows: number } {
  const type = schemaType('PaymentEvent');
  const started = performance.now();
  const agg = new WindowedAggregator({ sizesMs: WINDOW_SIZES_MS, outOfOrdernessMs: OUT_OF_ORDERNESS_MS, allowedLatenessMs: ALLOWED_LATENESS_MS });
  agg.assign([0]);
  let windows = 0;
  let offset = 0n;
  for (let i = 0; i < records.length; i += 1) {
    const o = observe(type.fromBuffer(records[i] as Buffer) as PaymentEvent);
    if (o !== undefined) agg.add(o, { partition: 0, offset });
    offset += 1n;
    // The processor drains after each fetched batch; a batch is about 500 records here.
    if (i % 500 === 499) for (const w of agg.drainClosed()) windows += w.tally.summary().requests > 0 ? 1 : 0;
  }
  agg.advanceTo(Number.POSITIVE_INFINITY);
  for (const w of agg.drainClosed()) windows += w.tally.summary().requests > 0 ? 1 : 0;
  return { perS: records.length / ((performance.now() - started) / 1000), windows };
}

function main(): void {
  const records = encoded();
  const runs: Array<{ value: number; baseline: number; windows: number }> = [];
  for (let run = 0; run < RUNS; run += 1) {
    // Alternate the order so neither side always runs on a warmer heap.
    const baseline = run % 2 === 0 ? decodeOnly(records) : Number.NaN;
    const { perS, windows } = aggregate(records);
    runs.push({ value: Math.round(perS), baseline: Math.round(Number.isNaN(baseline) ? decodeOnly(records) : baseline), windows });
  }
  recordFigure({
    name: 'metrics-aggregator',
    unit: 'outcomes/s',
    baselineName: 'Avro decode and observe of the same records, no windows',
    // Each outcome updates eight tallies (two window sizes by four dimensions), each with a
    // latency histogram, against one decode in the baseline: at most four times the decode.
    target: 0.25,
    workload: `${EVENTS} Avro-encoded payment outcomes (${EVENT_RATE_PER_S}/s of event time, 200 merchants, 4 channels, 2 arms, 2 currencies, up to 500 ms disorder) through 10 s and 1 min windows of 4 dimensions with HDR latency histograms, drained every 500 records`,
    runs,
  });
}

main();
