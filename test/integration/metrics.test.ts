import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { createKafka, type Kafka } from '../../lib/kafka.ts';
import { createLogger } from '../../lib/logger.ts';
import type { AvroCodec } from '../../schemas/codec.ts';
import { SAMPLES } from '../../schemas/samples.ts';
import type { ChannelMetricsWindow, PaymentEvent, PaymentMetricsWindow } from '../../schemas/types.ts';
import { Tally } from '../../streams/metrics/aggregate.ts';
import { observe } from '../../streams/metrics/observe.ts';
import { createMetricsProcessor, type MetricsProcessor, type MetricsTopics } from '../../streams/metrics/processor.ts';
import { seededRandom } from '../../streams/runtime/testing/seeded-random.ts';
import { Scope, connectedAdmin, connectedProducer, consumeCount, newKafka, uniqueName } from '../helpers/kafkajs.ts';
import { startBrokerWithRegistry } from '../helpers/registry.ts';
import { DLQ_HEADERS } from '../../streams/runtime/headers.ts';
import { waitFor } from '../helpers/wait.ts';

const logger = createLogger({ level: 'silent' });
const TIMING = { outOfOrdernessMs: 1_000, allowedLatenessMs: 2_000, idleAfterMs: 300, idleLagMs: 1_000, tickMs: 100 };

let scope: Scope;
let bootstrap: string;
let codec: AvroCodec;
let kafka: Kafka;

before(async () => {
  scope = new Scope({ after: () => undefined });
  ({ bootstrap, codec } = await startBrokerWithRegistry(scope));
  kafka = newKafka(bootstrap);
});
after(() => scope.close());

async function lane(name: string): Promise<{ topics: MetricsTopics; groupId: string }> {
  const topics: MetricsTopics = { input: uniqueName(`${name}.events`), windows: { 10_000: uniqueName(`${name}.10s`), 60_000: uniqueName(`${name}.1m`) }, channels: uniqueName(`${name}.channels`) };
  const admin = await connectedAdmin(scope, kafka);
  await admin.createTopics({ topics: [topics.input, ...Object.values(topics.windows), topics.channels].map((topic) => ({ topic, numPartitions: topic === topics.input ? 3 : 2 })) });
  return { topics, groupId: uniqueName(`${name}-metrics`) };
}

function processor(topics: MetricsTopics, groupId: string, registry = new Registry(), timing = TIMING): MetricsProcessor {
  return createMetricsProcessor({ kafka: createKafka({ brokers: [bootstrap], clientId: groupId, logger }), codec, logger, registry, groupId, topics, timing, sessionTimeoutMs: 6_000 });
}

/** Payment outcomes over three minutes of event time, five minutes ago, shuffled a little, with `lateShare` of them a minute late. */
function events(seed: number, count: number, baseMs: number, lateShare = 0.03): PaymentEvent[] {
  const r = seededRandom(seed);
  const out: PaymentEvent[] = [];
  for (let i = 0; i < count; i += 1) {
    const onTime = baseMs + Math.floor((i / count) * 180_000);
    const atMs = r() < lateShare ? onTime - 60_000 : onTime - Math.floor(r() * 800);
    const type = r() < 0.8 ? 'SUCCEEDED' : r() < 0.5 ? 'FAILED' : 'EXPIRED';
    const amount = BigInt(100 + Math.floor(r() * 100_000));
    out.push({
      ...SAMPLES.PaymentEvent,
      eventId: `pay-${seed}-${i}:9`,
      paymentId: `pay-${seed}-${i}`,
      merchantId: `m${i % 3}`,
      type,
      status: type,
      amountMinor: amount,
      capturedMinor: type === 'SUCCEEDED' ? amount : 0n,
      currency: i % 4 === 0 ? 'JPY' : 'EUR',
      method: i % 5 === 0 ? 'WALLET_A' : 'CARD',
      channelId: i % 5 === 0 ? 'wallet_a' : i % 2 === 0 ? 'acq_alpha' : 'acq_beta',
      experimentArm: i % 7 === 0 ? 'b' : null,
      ruleId: 'split@1',
      completion: type === 'SUCCEEDED' ? (i % 5 === 0 ? 'ASYNC' : 'SYNC') : null,
      channelLatencyMs: 20 + Math.floor(r() * 900),
      occurredAtMs: atMs,
    });
  }
  return out;
}

async function send(topic: string, values: readonly PaymentEvent[], partition?: number): Promise<void> {
  const producer = await connectedProducer(scope, kafka);
  for (let i = 0; i < values.length; i += 200) {
    const chunk = values.slice(i, i + 200);
    await producer.send({ topic, acks: -1, messages: await Promise.all(chunk.map(async (v) => ({ key: v.paymentId, value: await codec.encode(topic, 'PaymentEvent', v), ...(partition === undefined ? {} : { partition }) }))) });
  }
}

interface Output {
  windows: Array<{ topic: string; key: string; value: PaymentMetricsWindow }>;
  channels: ChannelMetricsWindow[];
}

async function readOutputs(topics: MetricsTopics): Promise<Output> {
  const out: Output = { windows: [], channels: [] };
  const consumer = kafka.consumer({ groupId: uniqueName('reader'), readUncommitted: false, maxWaitTimeInMs: 100 });
  await consumer.connect();
  scope.defer('reader', () => consumer.disconnect());
  await consumer.subscribe({ topics: [...Object.values(topics.windows), topics.channels], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      if (message.value === null) return;
      if (topic === topics.channels) out.channels.push(await codec.decode('ChannelMetricsWindow', message.value));
      else out.windows.push({ topic, key: message.key?.toString() ?? '', value: await codec.decode('PaymentMetricsWindow', message.value) });
    },
  });
  return out;
}

/** The same aggregates computed in one pass over the events (each late one left out of the sizes it was late for). */
function expected(all: readonly PaymentEvent[], lateFor: (e: PaymentEvent, size: number) => boolean): Map<string, ReturnType<Tally['summary']>> {
  const tallies = new Map<string, Tally>();
  for (const e of all) {
    const o = observe(e);
    if (o === undefined) continue;
    for (const size of [10_000, 60_000]) {
      if (lateFor(e, size)) continue;
      for (const d of o.dimensions) {
        const key = `${size}|${Math.floor(o.atMs / size) * size}|${d.dimension}:${d.value}:${o.currency}`;
        const t = tallies.get(key) ?? new Tally();
        t.add(o);
        tallies.set(key, t);
      }
    }
  }
  return new Map([...tallies].map(([k, t]) => [k, t.summary()]));
}

/** Late as the arrival order makes it: the window closed under the watermark of the records before. */
function lateRule(sent: readonly PaymentEvent[]): (e: PaymentEvent, size: number) => boolean {
  const late = new Set<string>();
  let watermark = Number.NEGATIVE_INFINITY;
  for (const e of sent) {
    for (const size of [10_000, 60_000]) if (Math.floor(e.occurredAtMs / size) * size + size + TIMING.allowedLatenessMs <= watermark) late.add(`${e.paymentId}|${size}`);
    watermark = Math.max(watermark, e.occurredAtMs - TIMING.outOfOrdernessMs);
  }
  return (e, size) => late.has(`${e.paymentId}|${size}`);
}

function asMap(out: Output, topics: MetricsTopics): Map<string, ReturnType<Tally['summary']>> {
  const sizeOf = new Map(Object.entries(topics.windows).map(([size, topic]) => [topic, Number(size)]));
  return new Map(
    out.windows.map((w) => [
      `${sizeOf.get(w.topic)}|${w.value.windowStartMs}|${w.key}`,
      { requests: w.value.requests, successes: w.value.successes, failures: w.value.failures, successRate: w.value.successRate, failureRate: w.value.failureRate, latencyCount: w.value.latencyCount, latencyP50Ms: w.value.latencyP50Ms, latencyP95Ms: w.value.latencyP95Ms, latencyP99Ms: w.value.latencyP99Ms, latencyMaxMs: null, amountSumMinor: w.value.amountSumMinor, amountAvgMinor: w.value.amountAvgMinor, syncCompletions: w.value.syncCompletions, asyncCompletions: w.value.asyncCompletions },
    ]),
  );
}

function withoutMax(m: Map<string, ReturnType<Tally['summary']>>): Map<string, ReturnType<Tally['summary']>> {
  return new Map([...m].map(([k, s]) => [k, { ...s, latencyMaxMs: null }]));
}

// One input partition keeps the arrival order the late rule is computed from.
test('windows read back from the metrics topics equal a batch computation over the same events; late events counted, not added', { timeout: 60_000 }, async () => {
  const { topics, groupId } = await lane('batch');
  const admin = await connectedAdmin(scope, kafka);
  const input = uniqueName('batch.events.single');
  await admin.createTopics({ topics: [{ topic: input, numPartitions: 1 }] });
  const t: MetricsTopics = { ...topics, input };
  const sent = events(1, 3_000, Date.now() - 300_000);
  await send(input, sent);
  const registry = new Registry();
  const p = processor(t, groupId, registry);
  scope.defer('stop metrics', () => p.stop());
  const out = await readOutputs(t);
  await p.start();
  const want = expected(sent, lateRule(sent));
  await waitFor(() => out.windows.length >= want.size, { timeoutMs: 40_000, message: () => `${want.size} windows (have ${out.windows.length})` });
  assert.deepEqual(asMap(out, t), withoutMax(want));
  assert.equal(out.windows.length, want.size, 'each window emitted once');

  const late10 = sent.filter((e) => lateRule(sent)(e, 10_000) && observe(e) !== undefined).length;
  assert.ok(late10 > 0, 'some events were late');
  const text = await registry.metrics();
  assert.match(text, new RegExp(`paystream_metrics_late_records\\{window="10s"\\} ${late10}\\b`));
  assert.match(text, /paystream_payments_window_success_ratio\{window="1m",dimension="channel",value="acq_alpha",currency="EUR"\} 0\.\d+/);
  assert.match(text, /paystream_payments_window_channel_latency_seconds\{window="10s",dimension="merchant",value="m0",currency="EUR",quantile="0.99"\} \d/);

  // The router's channel minutes: every currency of a channel in one record.
  const alpha = want.get([...want.keys()].find((k) => k.startsWith('60000|') && k.endsWith('CHANNEL:acq_alpha:EUR')) ?? '');
  const start = Number([...want.keys()].find((k) => k.startsWith('60000|') && k.endsWith('CHANNEL:acq_alpha:EUR'))?.split('|')[1]);
  const jpy = want.get(`60000|${start}|CHANNEL:acq_alpha:JPY`);
  const minute = out.channels.find((c) => c.channelId === 'acq_alpha' && c.windowStartMs === start);
  assert.ok(alpha !== undefined && minute !== undefined);
  assert.equal(minute.attempts, alpha.requests + (jpy?.requests ?? 0));
  assert.equal(minute.approved, alpha.successes + (jpy?.successes ?? 0));
});

test('a processor restarted mid-stream emits each window once and loses nothing: open windows are rebuilt from the committed offsets', { timeout: 90_000 }, async () => {
  const { topics, groupId } = await lane('restart');
  // Nothing late here (the first test covers lateness): every outcome must count exactly once.
  const sent = events(2, 3_000, Date.now() - 300_000, 0);
  // The events are minutes old: an idle watermark would close their windows between the two
  // halves. Here event time alone moves it, and a last event ten minutes on closes everything.
  const timing = { ...TIMING, idleLagMs: 3_600_000 };
  const first = processor(topics, groupId, new Registry(), timing);
  await first.start();
  const out = await readOutputs(topics);
  // The first half, while it runs; it stops with windows open and their records uncommitted.
  await send(topics.input, sent.slice(0, 1_500));
  await waitFor(() => out.windows.length > 0, { timeoutMs: 30_000, message: () => 'the first windows' });
  await first.stop();
  const emittedByFirst = out.windows.length;
  await send(topics.input, sent.slice(1_500));
  const endMs = Math.max(...sent.map((e) => e.occurredAtMs)) + 600_000;
  for (const partition of [0, 1, 2]) await send(topics.input, [{ ...(sent[0] as PaymentEvent), paymentId: `end-${partition}`, occurredAtMs: endMs }], partition);
  const second = processor(topics, groupId, new Registry(), timing);
  scope.defer('stop second', () => second.stop());
  await second.start();
  // Three input partitions: per-partition order differs from send order, so compare totals per window
  // over the events that were in time for it, which the windows must hold exactly once.
  const keys = (): string[] => out.windows.map((w) => `${w.topic}|${w.value.windowStartMs}|${w.key}`);
  const want = expected(sent, () => false);
  await waitFor(() => out.windows.length >= want.size, { timeoutMs: 60_000, message: () => `${want.size} windows (have ${out.windows.length})` });
  assert.ok(emittedByFirst > 0 && out.windows.length > emittedByFirst, 'both runs emitted windows');
  assert.equal(new Set(keys()).size, keys().length, 'no window emitted twice across the restart');
  const requests = out.windows.filter((w) => w.topic === topics.windows[60_000] && w.key.startsWith('MERCHANT:')).reduce((n, w) => n + w.value.requests, 0);
  const outcomes = sent.filter((e) => observe(e) !== undefined).length;
  assert.equal(requests, outcomes, 'every outcome counted once in its merchant minute across the restart');
  assert.deepEqual(asMap(out, topics), withoutMax(want));
});

test('an unreadable record on payments.events goes to its dead-letter topic with the reason and the original bytes; the outcomes after it are counted', { timeout: 60_000 }, async () => {
  const { topics, groupId } = await lane('poison');
  const admin = await connectedAdmin(scope, kafka);
  await admin.createTopics({ topics: [{ topic: `${topics.input}.dlq`, numPartitions: 1 }] });
  const sent = events(3, 200, Date.now() - 300_000, 0);
  const producer = await connectedProducer(scope, kafka);
  const garbage = Buffer.from('not an avro record');
  await producer.send({ topic: topics.input, acks: -1, messages: [{ key: 'pay-poison', value: garbage, headers: { origin: 'upstream' }, partition: 0 }] });
  await send(topics.input, sent);
  const endMs = Math.max(...sent.map((e) => e.occurredAtMs)) + 600_000;
  for (const partition of [0, 1, 2]) await send(topics.input, [{ ...(sent[0] as PaymentEvent), paymentId: `end-${partition}`, occurredAtMs: endMs }], partition);
  const p = processor(topics, groupId, new Registry(), { ...TIMING, idleLagMs: 3_600_000 });
  scope.defer('stop poison', () => p.stop());
  const out = await readOutputs(topics);
  await p.start();
  const want = expected(sent, () => false);
  await waitFor(() => out.windows.length >= want.size, { timeoutMs: 40_000, message: () => `${want.size} windows (have ${out.windows.length})` });
  assert.deepEqual(asMap(out, topics), withoutMax(want), 'every outcome after the poison record counted');
  const dead = await consumeCount(scope, kafka, `${topics.input}.dlq`, 1, {}, 20_000);
  assert.equal(dead[0]?.key, 'pay-poison');
  assert.equal(dead[0]?.value, garbage.toString());
  assert.equal(dead[0]?.headers[DLQ_HEADERS.errorCode], 'bad_magic');
  assert.equal(dead[0]?.headers[DLQ_HEADERS.sourceTopic], topics.input);
  assert.equal(dead[0]?.headers[DLQ_HEADERS.sourceOffset], '0');
  assert.equal(dead[0]?.headers.origin, 'upstream');
});
