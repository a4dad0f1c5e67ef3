/**
 * The metric aggregator: consumes `payments.events` (read_committed), counts each outcome into
 * its event-time windows (windows.ts) and emits every closed window on `metrics.payments.10s` /
 * `metrics.payments.1m` (per channel, merchant, method and routing arm, per currency), plus the
 * per-channel minute on `metrics.channels.1m` that the router scores channels with. The last
 * closed window of each is also exported as gauges on the role's /metrics.
 *
 * Exactly once without the record-at-a-time runtime: a window is only complete once its lateness
 * passed, so the offsets committed must trail the records handled. Each flush writes the closed
 * windows and, in the same Kafka transaction, the consumer offsets of the oldest record any open
 * window still holds, with the end of the last window emitted per size as the offset metadata.
 * After a crash the group resumes at those offsets: open windows are rebuilt from their records,
 * and records of windows already emitted are recognised by the metadata and skipped. A window is
 * therefore emitted once per commit; one written by an aborted transaction is never read.
 * One active instance: the transactional id is the group's, so a second instance fences the first.
 */
import type { Gauge as GaugeType } from 'prom-client';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Consumer, Kafka, Producer } from '../../lib/kafka.ts';
import type { Logger } from '../../lib/logger.ts';
import type { AvroCodec } from '../../schemas/codec.ts';
import type { ChannelMetricsWindow, PaymentEvent, PaymentMetricsWindow } from '../../schemas/types.ts';
import type { Message } from '../../lib/kafka.ts';
import { dlqName } from '../../schemas/catalogue.ts';
import { deadLetterHeaders } from '../runtime/headers.ts';
import { classifyFailure } from '../runtime/types.ts';
import { Tally } from './aggregate.ts';
import { observe } from './observe.ts';
import { WindowedAggregator, type ClosedWindow } from './windows.ts';
import { ALLOWED_LATENESS_MS, IDLE_AFTER_MS, IDLE_WATERMARK_LAG_MS, OUT_OF_ORDERNESS_MS, TICK_MS, WINDOW_SIZES_MS } from './limits.ts';

export interface MetricsTopics {
  input: string;
  /** Window size in ms → output topic. */
  windows: Readonly<Record<number, string>>;
  /** Per-channel windows of `channelWindowMs` for the router. */
  channels: string;
}

export const METRICS_TOPICS: MetricsTopics = {
  input: 'payments.events',
  windows: { 10_000: 'metrics.payments.10s', 60_000: 'metrics.payments.1m' },
  channels: 'metrics.channels.1m',
};

export interface MetricsProcessorOptions {
  kafka: Kafka;
  codec: AvroCodec;
  logger: Logger;
  registry: Registry;
  groupId?: string;
  topics?: MetricsTopics;
  clock?: { nowMs(): number };
  /** The named limits, shortened by tests. */
  timing?: Partial<{ outOfOrdernessMs: number; allowedLatenessMs: number; idleAfterMs: number; idleLagMs: number; tickMs: number }>;
  sessionTimeoutMs?: number;
  /**
   * Called once when a flush failed: the windows in memory already counted records whose offsets
   * did not commit, so this instance must not go on (the role exits and is started again, and the
   * windows are rebuilt from the committed offsets).
   */
  onFatal?: (err: unknown) => void;
}

export interface MetricsProcessor {
  start(): Promise<void>;
  stop(): Promise<void>;
}

interface CommitMetadata {
  /** Window size in ms → end of the last window emitted. */
  emittedThrough: Record<string, number>;
  /** This partition's offset after the last record handled when committing. */
  handledTo: string;
}

const SIZE_LABEL: Readonly<Record<number, string>> = { 10_000: '10s', 60_000: '1m' };
const label = (sizeMs: number): string => SIZE_LABEL[sizeMs] ?? `${sizeMs}ms`;

export function createMetricsProcessor(options: MetricsProcessorOptions): MetricsProcessor {
  const groupId = options.groupId ?? 'metrics';
  const topics = options.topics ?? METRICS_TOPICS;
  const clock = options.clock ?? { nowMs: () => Date.now() };
  const sizes = Object.keys(topics.windows).map(Number).sort((a, b) => a - b);
  const channelWindowMs = sizes.includes(60_000) ? 60_000 : (sizes.at(-1) ?? WINDOW_SIZES_MS[1]);
  const timing = { outOfOrdernessMs: OUT_OF_ORDERNESS_MS, allowedLatenessMs: ALLOWED_LATENESS_MS, idleAfterMs: IDLE_AFTER_MS, idleLagMs: IDLE_WATERMARK_LAG_MS, tickMs: TICK_MS, ...options.timing };
  const gauges = createGauges(options.registry);
  const log = options.logger.child({ processor: 'metrics' });

  let consumer: Consumer | undefined;
  let producer: Producer | undefined;
  let aggregator: WindowedAggregator | undefined;
  let timer: NodeJS.Timeout | undefined;
  /** Per partition, the offset after the last record handled. */
  const nextOffsets = new Map<number, bigint>();
  let committed = new Map<number, bigint>();
  let lastRecordAtMs = 0;
  let caughtUp = false;
  /** Records that cannot be read, written to the input's dead-letter topic with the next flush. */
  let deadLetters: Message[] = [];
  let failure: unknown;
  const fatal = (err: unknown): void => {
    if (failure !== undefined) return;
    failure = err;
    log.error({ err }, 'metrics flush failed: this instance stops counting; a restart rebuilds the windows from the committed offsets');
    options.onFatal?.(err);
  };
  // Batches and timer ticks take turns: one flush at a time, in order.
  let turn: Promise<void> = Promise.resolve();
  const serially = (work: () => Promise<void>): Promise<void> => {
    const next = turn.then(work);
    turn = next.catch(() => undefined);
    return next;
  };

  /** Per partition, the offset after the last record a previous run handled. */
  const handledBefore = new Map<number, bigint>();

  async function restoreEmittedThrough(): Promise<Record<number, number>> {
    const admin = options.kafka.admin();
    await admin.connect();
    try {
      const [fetched] = await admin.fetchOffsets({ groupId, topics: [topics.input] });
      const through: Record<number, number> = {};
      for (const p of fetched?.partitions ?? []) {
        if (p.metadata === null || p.metadata === '') continue;
        const meta = JSON.parse(p.metadata) as CommitMetadata;
        handledBefore.set(p.partition, BigInt(meta.handledTo));
        for (const [size, end] of Object.entries(meta.emittedThrough)) through[Number(size)] = Math.max(through[Number(size)] ?? Number.NEGATIVE_INFINITY, end);
      }
      return through;
    } finally {
      await admin.disconnect();
    }
  }

  async function encodeWindows(closed: readonly ClosedWindow[]): Promise<Array<{ topic: string; messages: Message[] }>> {
    const byTopic = new Map<string, Message[]>();
    const push = (topic: string, key: string, value: Buffer): void => {
      const list = byTopic.get(topic) ?? [];
      list.push({ key, value });
      byTopic.set(topic, list);
    };
    const nowMs = clock.nowMs();
    const channels = new Map<string, { w: ClosedWindow; tally: Tally }>();
    for (const w of closed) {
      const topic = topics.windows[w.sizeMs];
      if (topic === undefined) continue;
      const value = toWindowRecord(w, nowMs);
      push(topic, `${w.dimension}:${w.value}:${w.currency}`, await options.codec.encode(topic, 'PaymentMetricsWindow', value));
      gauges.window(w);
      if (w.dimension === 'CHANNEL' && w.sizeMs === channelWindowMs) {
        const key = `${w.startMs}\u0000${w.value}`;
        const held = channels.get(key) ?? { w, tally: new Tally() };
        held.tally.merge(w.tally);
        channels.set(key, held);
      }
    }
    for (const { w, tally } of channels.values()) {
      push(topics.channels, w.value, await options.codec.encode(topics.channels, 'ChannelMetricsWindow', toChannelRecord(w, tally)));
    }
    return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
  }

  /** Emits what closed and commits the offsets still needed, in one transaction. */
  async function flush(): Promise<void> {
    if (aggregator === undefined || producer === undefined) return;
    const closed = aggregator.drainClosed();
    const low = aggregator.lowOffsets();
    const offsets = new Map<number, bigint>();
    for (const [partition, next] of nextOffsets) offsets.set(partition, low.get(partition) ?? next);
    const moved = [...offsets].some(([p, o]) => committed.get(p) !== o);
    if (closed.length === 0 && !moved && deadLetters.length === 0) return;
    const emittedThrough = aggregator.emittedThrough();
    const batches = await encodeWindows(closed);
    if (deadLetters.length > 0) batches.push({ topic: dlqName(topics.input), messages: deadLetters });
    const lettered = deadLetters.length;
    const transaction = await producer.transaction();
    try {
      if (batches.length > 0) await transaction.sendBatch({ topicMessages: batches, acks: -1 });
      await transaction.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: topics.input, partitions: [...offsets].map(([partition, offset]) => ({ partition, offset: offset.toString(), metadata: JSON.stringify({ emittedThrough, handledTo: (nextOffsets.get(partition) ?? offset).toString() } satisfies CommitMetadata) })) }] });
      await transaction.commit();
    } catch (err) {
      await transaction.abort().catch((abortErr: unknown) => log.warn({ err: abortErr }, 'abort after a failed metrics flush failed too'));
      throw err;
    }
    committed = offsets;
    deadLetters = deadLetters.slice(lettered);
    if (lettered > 0) gauges.records.inc({ result: 'dead_lettered' }, lettered);
    for (const w of closed) gauges.emitted.inc({ window: label(w.sizeMs) });
    gauges.watermark.set(Number.isFinite(aggregator.watermark) ? aggregator.watermark / 1000 : 0);
    if (closed.length > 0) log.debug({ windows: closed.length, watermarkMs: aggregator.watermark }, 'metric windows emitted');
  }

  return {
    async start() {
      aggregator = new WindowedAggregator({ sizesMs: sizes, outOfOrdernessMs: timing.outOfOrdernessMs, allowedLatenessMs: timing.allowedLatenessMs, emittedThrough: await restoreEmittedThrough() });
      producer = options.kafka.producer({ transactionalId: `${groupId}.windows`, idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      consumer = options.kafka.consumer({ groupId, readUncommitted: false, sessionTimeout: options.sessionTimeoutMs ?? 30_000, maxWaitTimeInMs: 200, allowAutoTopicCreation: false });
      await consumer.connect();
      await consumer.subscribe({ topic: topics.input, fromBeginning: true });
      const agg = aggregator;
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        void serially(async () => agg.assign(payload.memberAssignment[topics.input] ?? []));
      });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch, heartbeat }) =>
          serially(async () => {
            if (failure !== undefined) throw new Error('the metrics processor failed and counts nothing more until restarted');
            // Every record is read before any is counted: a transient failure (the registry
            // unreachable) throws with nothing counted, and the batch is read again.
            const read: Array<{ offset: bigint; event: PaymentEvent | undefined; dead: Message | undefined }> = [];
            for (const m of batch.messages) {
              const offset = BigInt(m.offset);
              if (m.value === null) {
                read.push({ offset, event: undefined, dead: undefined });
                continue;
              }
              try {
                read.push({ offset, event: await options.codec.decode('PaymentEvent', m.value), dead: undefined });
              } catch (err) {
                const failure = classifyFailure(err);
                if (failure.retriable) throw err;
                log.warn({ err, code: failure.code, partition: batch.partition, offset: m.offset }, 'unreadable payment event: dead-lettered');
                read.push({ offset, event: undefined, dead: { key: m.key, value: m.value, headers: deadLetterHeaders(m.headers, { code: failure.code, message: failure.message, processor: groupId, topic: topics.input, partition: batch.partition, offset: m.offset, attempts: 1, failedAtMs: clock.nowMs() }) } });
              }
            }
            for (const { offset, event, dead } of read) {
              nextOffsets.set(batch.partition, offset + 1n);
              if (dead !== undefined) deadLetters.push(dead);
              if (event === undefined) continue;
              const o = observe(event);
              if (o === undefined) {
                gauges.records.inc({ result: 'not_an_outcome' });
                continue;
              }
              const result = agg.add(o, { partition: batch.partition, offset, handledBefore: offset < (handledBefore.get(batch.partition) ?? 0n) });
              gauges.records.inc({ result });
              if (result === 'late') log.info({ paymentId: o.paymentId, atMs: o.atMs, watermarkMs: agg.watermark }, 'outcome arrived after its window closed: counted as late');
            }
            if (batch.messages.length > 0) lastRecordAtMs = clock.nowMs();
            if (batch.offsetLag() === '0') caughtUp = true;
            for (const [size, n] of Object.entries(agg.lateCounts())) gauges.late.set({ window: label(Number(size)) }, n);
            await flush().catch((err: unknown) => {
              fatal(err);
              throw err;
            });
            await heartbeat();
          }),
      });
      timer = setInterval(() => {
        if (failure !== undefined) return;
        void serially(async () => {
          // Quiet input: event time stands still, so the wall clock moves the watermark (only once
          // the backlog was read, or a restart would call the records it replays late).
          if (caughtUp && clock.nowMs() - lastRecordAtMs >= timing.idleAfterMs) agg.advanceTo(clock.nowMs() - timing.idleLagMs);
          await flush();
        }).catch(fatal);
      }, timing.tickMs);
      timer.unref();
    },
    async stop() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      await turn;
      await consumer?.disconnect();
      await producer?.disconnect();
      consumer = undefined;
      producer = undefined;
      if (failure !== undefined) log.warn({ err: failure }, 'metrics processor stopped after a failed flush');
    },
  };
}

function toWindowRecord(w: ClosedWindow, nowMs: number): PaymentMetricsWindow {
  const s = w.tally.summary();
  return {
    windowStartMs: w.startMs,
    windowEndMs: w.endMs,
    dimension: w.dimension,
    value: w.value,
    currency: w.currency,
    requests: s.requests,
    successes: s.successes,
    failures: s.failures,
    successRate: s.successRate,
    failureRate: s.failureRate,
    latencyCount: s.latencyCount,
    latencyP50Ms: s.latencyP50Ms,
    latencyP95Ms: s.latencyP95Ms,
    latencyP99Ms: s.latencyP99Ms,
    amountSumMinor: s.amountSumMinor,
    amountAvgMinor: s.amountAvgMinor,
    syncCompletions: s.syncCompletions,
    asyncCompletions: s.asyncCompletions,
    emittedAtMs: nowMs,
  };
}

/** The router's view of a channel minute: every currency together. */
function toChannelRecord(w: ClosedWindow, tally: Tally): ChannelMetricsWindow {
  const s = tally.summary();
  return { windowStartMs: w.startMs, windowEndMs: w.endMs, channelId: w.value, attempts: s.requests, approved: s.successes, declined: s.failures, pending: 0, failed: 0, latencyP50Ms: s.latencyP50Ms ?? 0, latencyP95Ms: s.latencyP95Ms ?? 0, latencyMaxMs: s.latencyMaxMs ?? 0 };
}

interface Gauges {
  records: Counter<'result'>;
  late: GaugeType<'window'>;
  emitted: Counter<'window'>;
  watermark: GaugeType;
  window(w: ClosedWindow): void;
}

function createGauges(registry: Registry): Gauges {
  const labelNames = ['window', 'dimension', 'value', 'currency'] as const;
  const requests = new Gauge({ name: 'paystream_payments_window_requests', help: 'Outcomes in the last closed window, per window size, dimension value and currency', labelNames, registers: [registry] });
  const success = new Gauge({ name: 'paystream_payments_window_success_ratio', help: 'Successes / outcomes in the last closed window', labelNames, registers: [registry] });
  const amount = new Gauge({ name: 'paystream_payments_window_amount_minor_sum', help: 'Succeeded amount in minor units in the last closed window', labelNames, registers: [registry] });
  const latency = new Gauge({ name: 'paystream_payments_window_channel_latency_seconds', help: 'Channel call latency quantiles in the last closed window', labelNames: [...labelNames, 'quantile'], registers: [registry] });
  return {
    records: new Counter({ name: 'paystream_metrics_records_total', help: 'Payment events read by the metric aggregator, by what became of them', labelNames: ['result'], registers: [registry] }),
    late: new Gauge({ name: 'paystream_metrics_late_records', help: 'Outcomes that arrived after their window closed (not added to it), per window size, since start', labelNames: ['window'], registers: [registry] }),
    emitted: new Counter({ name: 'paystream_metrics_windows_emitted_total', help: 'Metric windows emitted, per window size', labelNames: ['window'], registers: [registry] }),
    watermark: new Gauge({ name: 'paystream_metrics_watermark_seconds', help: 'The aggregator watermark (event time, unix seconds)', registers: [registry] }),
    window(w) {
      const labels = { window: label(w.sizeMs), dimension: w.dimension.toLowerCase(), value: w.value, currency: w.currency };
      const s = w.tally.summary();
      requests.set(labels, s.requests);
      success.set(labels, s.successRate);
      amount.set(labels, Number(s.amountSumMinor));
      for (const [q, v] of [['0.5', s.latencyP50Ms], ['0.95', s.latencyP95Ms], ['0.99', s.latencyP99Ms]] as const) {
        if (v !== null) latency.set({ ...labels, quantile: q }, v / 1000);
      }
    },
  };
}
