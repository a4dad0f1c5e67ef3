/**
 * The transactional loop: consume (read_committed) → handle → produce outputs, dead letters and
 * the consumed offsets in one Kafka transaction → commit. Either all of a chunk's effects become
 * visible or none do; an aborted chunk is consumed again from its first record.
 */
import assert from 'node:assert/strict';
import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage } from '../../lib/kafka.ts';
import type { Logger } from '../../lib/logger.ts';
import type { Registry } from 'prom-client';
import { dlqName } from '../../schemas/catalogue.ts';
import { backoffDelayMs, type BackoffPolicy } from './backoff.ts';
import { handleRecord, type HandleDeps, type Outcome, type RetryTiers } from './handle.ts';
import { retryInfo } from './headers.ts';
import { KEY_CONCURRENCY_DEFAULT, KEY_CONCURRENCY_MAX, PARTITIONS_CONCURRENT_MAX, STOP_GRACE_MS, TRANSACTION_HANDLE_MS_MAX, TRANSACTION_RECORDS_MAX, TRANSACTION_TIMEOUT_MS } from './limits.ts';
import { runtimeMetrics, type RuntimeMetrics } from './metrics.ts';
import { ProducerPool } from './producers.ts';
import { commitChunk, type Chunk } from './transaction.ts';
import { RuntimeError, type Handler, type ProcessorState, type ValueDecoder, type ValueEncoder } from './types.ts';

/** Group timings; production uses Kafka's usual values, tests shorten them. */
export interface GroupTimings {
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** Fetch long-poll: short enough to heartbeat between fetches. */
  maxWaitTimeMs: number;
}

export const GROUP_TIMINGS_DEFAULT: GroupTimings = Object.freeze({ sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 60_000, heartbeatIntervalMs: 3_000, maxWaitTimeMs: 500 });

export interface ProcessorOptions<V, O> {
  /** Processor name: consumer group id, transactional id prefix, metrics and DLQ label. */
  name: string;
  kafka: Kafka;
  topics: readonly string[];
  handler: Handler<V, O>;
  decoder: ValueDecoder<V>;
  encoder: ValueEncoder<O>;
  logger: Logger;
  registry: Registry;
  clock?: { nowMs(): number };
  group?: Partial<GroupTimings>;
  /** Start a new group at the earliest offset (default) rather than the latest. */
  fromBeginning?: boolean;
  /** Let the broker create missing output/DLQ topics; provisioning creates them in production. */
  allowAutoTopicCreation?: boolean;
  transactionRecordsMax?: number;
  /** Handling time after which a chunk is committed even if not full. */
  transactionHandleMsMax?: number;
  partitionsConcurrent?: number;
  /** Keys of one partition's chunk handled at the same time (each key's records in order); default 1. */
  keyConcurrency?: number;
  stopGraceMs?: number;
  attemptsMax?: number;
  backoff?: BackoffPolicy;
  random?: () => number;
  /** Log field naming the record key; payment topics are keyed by paymentId. */
  keyLogField?: string;
  /**
   * Delayed retries after the in-place ones (default: none, straight to the dead-letter topic):
   * a record still failing transiently waits `delaysMs[0]` on `<name>.retry.1`, then
   * `delaysMs[1]` on `<name>.retry.2`, ... and is dead-lettered after the last.
   */
  retryTopics?: { delaysMs: readonly number[] };
}

/** The retry topics of a processor, tier by tier. */
export function retryTopicNames(processor: string, tiers: number): string[] {
  return Array.from({ length: tiers }, (_, i) => `${processor}.retry.${i + 1}`);
}

export interface Processor {
  readonly name: string;
  state(): ProcessorState;
  start(): Promise<void>;
  /** Finishes or aborts the in-flight transaction and leaves the group, within the grace time. */
  stop(): Promise<void>;
}

export function createProcessor<V, O>(options: ProcessorOptions<V, O>): Processor {
  return new TransactionalProcessor(options);
}

class TransactionalProcessor<V, O> implements Processor {
  readonly name: string;
  private current: ProcessorState = 'idle';
  private readonly options: ProcessorOptions<V, O>;
  private readonly log: Logger;
  private readonly metrics: RuntimeMetrics;
  private readonly producers: ProducerPool;
  private readonly consumer: Consumer;
  private readonly admin: Admin;
  private readonly timings: GroupTimings;
  private readonly locks = new Map<string, Promise<void>>();
  private readonly aborts = new Map<string, number>();
  private stopping: Promise<void> | undefined;
  private readonly retryTiers: RetryTiers;
  private readonly resumeTimers = new Set<NodeJS.Timeout>();

  constructor(options: ProcessorOptions<V, O>) {
    // Misconfiguration is a bug in the calling code: fail at construction, loudly.
    assert.ok(/^[A-Za-z0-9._-]+$/.test(options.name), `processor name ${JSON.stringify(options.name)} must be a non-empty [A-Za-z0-9._-]+ (it is a group and transactional id)`);
    assert.ok(options.topics.length > 0, 'a processor consumes at least one topic');
    for (const [what, value] of [
      ['transactionRecordsMax', options.transactionRecordsMax],
      ['transactionHandleMsMax', options.transactionHandleMsMax],
      ['partitionsConcurrent', options.partitionsConcurrent],
      ['attemptsMax', options.attemptsMax],
      ['keyConcurrency', options.keyConcurrency],
    ] as const) {
      assert.ok(value === undefined || (Number.isInteger(value) && value >= 1), `${what} must be a positive integer; got ${String(value)}`);
    }
    assert.ok((options.keyConcurrency ?? 1) <= KEY_CONCURRENCY_MAX, `keyConcurrency must be at most ${String(KEY_CONCURRENCY_MAX)}`);
    const delays = options.retryTopics?.delaysMs ?? [];
    assert.ok(delays.every((d) => Number.isInteger(d) && d >= 0), 'retry delays are whole non-negative milliseconds');
    this.retryTiers = { topics: retryTopicNames(options.name, delays.length), delaysMs: delays };
    this.options = options;
    this.name = options.name;
    this.log = options.logger.child({ processor: options.name });
    this.metrics = runtimeMetrics(options.registry);
    this.timings = { ...GROUP_TIMINGS_DEFAULT, ...options.group };
    this.producers = new ProducerPool({
      kafka: options.kafka,
      processor: options.name,
      logger: this.log,
      transactionTimeoutMs: TRANSACTION_TIMEOUT_MS,
      allowAutoTopicCreation: options.allowAutoTopicCreation ?? false,
    });
    this.consumer = options.kafka.consumer({
      groupId: options.name,
      // read_committed: aborted and still-open transactions of upstream processors stay invisible.
      readUncommitted: false,
      sessionTimeout: this.timings.sessionTimeoutMs,
      rebalanceTimeout: this.timings.rebalanceTimeoutMs,
      heartbeatInterval: this.timings.heartbeatIntervalMs,
      maxWaitTimeInMs: this.timings.maxWaitTimeMs,
      allowAutoTopicCreation: false,
    });
    this.admin = options.kafka.admin();
  }

  state(): ProcessorState {
    return this.current;
  }

  async start(): Promise<void> {
    if (this.current !== 'idle') throw new RuntimeError('processor_state', `start() on a processor that is ${this.current}`);
    this.current = 'starting';
    const { events } = this.consumer;
    this.consumer.on(events.GROUP_JOIN, ({ payload }) => {
      this.log.info({ assignment: payload.memberAssignment }, 'partitions assigned');
      // Another instance may have owned a partition since we last did: re-fence and re-read
      // its committed offset before the next transaction (see producers.ts).
      for (const [topic, partition] of this.producers.partitions()) void this.withLock(topic, partition, () => this.producers.drop(topic, partition));
    });
    this.consumer.on(events.CRASH, ({ payload }) => {
      this.log.error({ err: payload.error, restart: payload.restart }, 'consumer crashed');
      if (!payload.restart && this.current === 'running') this.current = 'failed';
    });
    try {
      await this.admin.connect();
      await this.consumer.connect();
      for (const topic of [...this.options.topics, ...this.retryTiers.topics]) await this.consumer.subscribe({ topic, fromBeginning: this.options.fromBeginning ?? true });
      await this.consumer.run({
        autoCommit: false,
        // Offsets are resolved only after their transaction committed (or never, after an abort).
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.options.partitionsConcurrent ?? PARTITIONS_CONCURRENT_MAX,
        eachBatch: (payload) => this.withLock(payload.batch.topic, payload.batch.partition, () => this.onBatch(payload)),
      });
    } catch (err) {
      this.current = 'failed';
      await this.closeClients({ consumer: true });
      throw err;
    }
    this.current = 'running';
    this.log.info({ topics: this.options.topics }, 'processor running');
  }

  stop(): Promise<void> {
    this.stopping ??= this.stopNow();
    return this.stopping;
  }

  private async stopNow(): Promise<void> {
    if (this.current === 'idle' || this.current === 'stopped') {
      this.current = 'stopped';
      return;
    }
    this.current = 'stopping';
    for (const timer of this.resumeTimers) clearTimeout(timer);
    this.resumeTimers.clear();
    const graceMs = this.options.stopGraceMs ?? STOP_GRACE_MS;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), graceMs);
    });
    // consumer.stop() lets the running eachBatch calls return: they finish the chunk in hand
    // (commit or abort) and take no new one once isRunning() turns false.
    const outcome = await Promise.race([this.consumer.stop().then(() => 'drained' as const), late]);
    clearTimeout(timer);
    if (outcome === 'late') {
      // kafkajs's disconnect would wait for the same stuck batch, so the consumer is left to
      // the group's session timeout; closing the producers ends any open transaction, which the
      // broker aborts (or the partition's next owner fences).
      this.log.error({ graceMs }, 'in-flight work did not finish within the grace time; abandoning it');
      await this.closeClients({ consumer: false });
    } else {
      await this.closeClients({ consumer: true });
    }
    this.current = 'stopped';
    this.log.info('processor stopped');
  }

  private async closeClients(which: { consumer: boolean }): Promise<void> {
    const steps: Array<[string, () => Promise<void>]> = [
      ...(which.consumer ? [['consumer', () => this.consumer.disconnect()] as [string, () => Promise<void>]] : []),
      ['producers', () => this.producers.closeAll()],
      ['admin', () => this.admin.disconnect()],
    ];
    for (const [what, step] of steps) {
      try {
        await step();
      } catch (err) {
        this.log.warn({ err, what }, 'disconnect failed');
      }
    }
  }

  /** Batches of one partition never overlap, including producer drops on rebalance. */
  private withLock(topic: string, partition: number, work: () => Promise<void>): Promise<void> {
    const key = `${topic}\u0000${partition}`;
    const previous = this.locks.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.then(
      () => undefined,
      () => undefined,
    );
    this.locks.set(key, tail);
    void tail.then(() => {
      if (this.locks.get(key) === tail) this.locks.delete(key);
    });
    return next;
  }

  /**
   * On a retry topic, records are due in order (one tier, one delay): the batch is handled up to
   * the first record not yet due, and the partition is paused until that one is. Other partitions
   * and topics go on meanwhile.
   */
  private dueEnd(batch: EachBatchPayload['batch']): number {
    if (!this.retryTiers.topics.includes(batch.topic)) return batch.messages.length;
    const nowMs = this.options.clock?.nowMs() ?? Date.now();
    const end = batch.messages.findIndex((m) => (retryInfo(m.headers)?.notBeforeMs ?? 0) > nowMs);
    return end === -1 ? batch.messages.length : end;
  }

  private waitUntilDue(topic: string, partition: number, message: KafkaMessage): void {
    const nowMs = this.options.clock?.nowMs() ?? Date.now();
    const dueMs = retryInfo(message.headers)?.notBeforeMs ?? nowMs;
    const target = [{ topic, partitions: [partition] }];
    this.consumer.seek({ topic, partition, offset: message.offset });
    this.consumer.pause(target);
    const timer = setTimeout(() => {
      this.resumeTimers.delete(timer);
      if (this.current === 'running') this.consumer.resume(target);
    }, Math.max(0, dueMs - nowMs));
    timer.unref();
    this.resumeTimers.add(timer);
  }

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, isRunning, isStale, heartbeat } = payload;
    const { topic, partition } = batch;
    const first = batch.messages[0];
    if (first === undefined) return;
    const end = this.dueEnd(batch);
    const slot = await this.producers.acquire(topic, partition);
    if (slot.fresh) {
      // Fenced in just now: a previous owner's commit may have landed after kafkajs read the
      // group offset, so read it again and skip what that commit already covered.
      const committed = await this.committedOffset(topic, partition);
      slot.fresh = false;
      if (committed !== undefined && committed > BigInt(first.offset)) {
        this.log.info({ topic, partition, committed: String(committed), fetched: first.offset }, 'skipping records a previous owner committed');
        this.consumer.seek({ topic, partition, offset: String(committed) });
        return;
      }
    }
    let next = 0;
    while (next < end) {
      if (!isRunning() || isStale()) return;
      const { messages, outcomes } = await this.handleChunk(payload, next, end);
      next += messages.length;
      const chunk: Chunk = { topic, partition, groupId: this.name, messages, outcomes };
      const committed = await commitChunk(slot.producer, chunk, this.log);
      const key = `${topic}\u0000${partition}`;
      if (!committed) {
        this.metrics.transactionsAborted.inc({ processor: this.name });
        const aborts = (this.aborts.get(key) ?? 0) + 1;
        this.aborts.set(key, aborts);
        // The producer may be fenced or its commit's outcome unknown: start over with a fresh
        // one, which re-reads the committed offset before the next transaction.
        await this.producers.drop(topic, partition);
        this.consumer.seek({ topic, partition, offset: messages[0]?.offset ?? first.offset });
        await new Promise((resolve) => setTimeout(resolve, backoffDelayMs(Math.min(aborts, 10), this.options.backoff, this.options.random)));
        return;
      }
      this.aborts.delete(key);
      const last = messages[messages.length - 1]?.offset ?? first.offset;
      payload.resolveOffset(last);
      this.countCommitted(outcomes);
      const lag = BigInt(batch.highWatermark) - BigInt(last) - 1n;
      this.metrics.consumerLag.set({ processor: this.name, topic, partition: String(partition) }, Number(lag < 0n ? 0n : lag));
      await heartbeat();
    }
    const waiting = batch.messages[end];
    if (waiting !== undefined && isRunning() && !isStale()) this.waitUntilDue(topic, partition, waiting);
  }

  /**
   * Handles records from `from` on until the chunk is full, its handling time is spent, or the
   * processor stops: a slow handler then commits small chunks (bounded latency and rework)
   * rather than holding a thousand records' outputs back. Heartbeats on the way, so a slow
   * chunk does not cost the group membership.
   */
  private async handleChunk(payload: EachBatchPayload, from: number, end: number): Promise<{ messages: KafkaMessage[]; outcomes: Outcome[] }> {
    const { batch, heartbeat, isRunning } = payload;
    const recordsMax = this.options.transactionRecordsMax ?? TRANSACTION_RECORDS_MAX;
    const handleMsMax = this.options.transactionHandleMsMax ?? TRANSACTION_HANDLE_MS_MAX;
    const deps = this.handleDeps(heartbeat);
    const handleSeconds = this.metrics.handleSeconds.labels({ processor: this.name });
    const keyConcurrency = this.options.keyConcurrency ?? KEY_CONCURRENCY_DEFAULT;
    if (keyConcurrency > 1) return this.handleChunkByKey(payload, from, end, keyConcurrency);
    const messages: KafkaMessage[] = [];
    const outcomes: Outcome[] = [];
    const chunkStartedMs = performance.now();
    let beatMs = chunkStartedMs;
    for (let i = from; i < end && messages.length < recordsMax; i += 1) {
      const message = batch.messages[i] as KafkaMessage;
      const startedMs = performance.now();
      outcomes.push(await handleRecord(deps, { topic: batch.topic, partition: batch.partition, message }));
      messages.push(message);
      const nowMs = performance.now();
      handleSeconds.observe((nowMs - startedMs) / 1000);
      if (nowMs - chunkStartedMs >= handleMsMax || !isRunning()) break;
      if (nowMs - beatMs >= this.timings.heartbeatIntervalMs) {
        // Throws when the group rebalances: nothing of this chunk is committed, and kafkajs rejoins.
        await heartbeat();
        beatMs = nowMs;
      }
    }
    return { messages, outcomes };
  }

  /**
   * Key-concurrent variant of handleChunk: the chunk's records are grouped by key and up to
   * `keyConcurrency` keys are handled at once, each key's records strictly in order. The chunk
   * returned is the longest prefix (in offset order) whose records were all handled, so outputs
   * and dead letters keep input order and the committed offset never skips an unhandled record;
   * records handled beyond that prefix (when the time limit or stop cut the chunk) are dropped
   * and handled again in the next chunk, as after an abort.
   */
  private async handleChunkByKey(payload: EachBatchPayload, from: number, until: number, keyConcurrency: number): Promise<{ messages: KafkaMessage[]; outcomes: Outcome[] }> {
    const { batch, heartbeat, isRunning } = payload;
    const recordsMax = this.options.transactionRecordsMax ?? TRANSACTION_RECORDS_MAX;
    const handleMsMax = this.options.transactionHandleMsMax ?? TRANSACTION_HANDLE_MS_MAX;
    const deps = this.handleDeps(heartbeat);
    const handleSeconds = this.metrics.handleSeconds.labels({ processor: this.name });
    const end = Math.min(until, from + recordsMax);
    const byKey = new Map<string, number[]>();
    for (let i = from; i < end; i += 1) {
      const key = (batch.messages[i] as KafkaMessage).key?.toString('latin1') ?? '';
      const list = byKey.get(key);
      if (list === undefined) byKey.set(key, [i]);
      else list.push(i);
    }
    const queue = [...byKey.values()];
    const outcomes: (Outcome | undefined)[] = new Array<Outcome | undefined>(end - from);
    const chunkStartedMs = performance.now();
    let beatMs = chunkStartedMs;
    let beating: Promise<void> | undefined;
    let cut = false;
    const worker = async (): Promise<void> => {
      for (let indexes = queue.shift(); indexes !== undefined && !cut; indexes = queue.shift()) {
        for (const i of indexes) {
          if (cut) return;
          const message = batch.messages[i] as KafkaMessage;
          const startedMs = performance.now();
          outcomes[i - from] = await handleRecord(deps, { topic: batch.topic, partition: batch.partition, message });
          const nowMs = performance.now();
          handleSeconds.observe((nowMs - startedMs) / 1000);
          if (nowMs - chunkStartedMs >= handleMsMax || !isRunning()) cut = true;
          if (nowMs - beatMs >= this.timings.heartbeatIntervalMs) {
            beatMs = nowMs;
            // One heartbeat for all workers; it throws on a rebalance and nothing of the chunk is committed.
            beating ??= heartbeat().finally(() => {
              beating = undefined;
            });
            await beating;
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(keyConcurrency, queue.length) }, () => worker()));
    const messages: KafkaMessage[] = [];
    const handled: Outcome[] = [];
    for (let i = from; i < end; i += 1) {
      const outcome = outcomes[i - from];
      if (outcome === undefined) break;
      messages.push(batch.messages[i] as KafkaMessage);
      handled.push(outcome);
    }
    return { messages, outcomes: handled };
  }

  /** Counts a committed chunk: summed first, so the counters are touched once per chunk. */
  private countCommitted(outcomes: readonly Outcome[]): void {
    let out = 0;
    let failed = 0;
    let deadLettered = 0;
    let retried = 0;
    for (const o of outcomes) {
      if (o.kind === 'produced') {
        out += o.outputs.length;
        failed += o.attempts - 1;
      } else if (o.kind === 'retry-later') {
        retried += 1;
        failed += o.attempts;
      } else {
        deadLettered += 1;
        failed += o.attempts;
      }
    }
    const labels = { processor: this.name };
    this.metrics.recordsIn.inc(labels, outcomes.length);
    if (out > 0) this.metrics.recordsOut.inc(labels, out);
    if (failed > 0) this.metrics.recordsFailed.inc(labels, failed);
    if (deadLettered > 0) this.metrics.recordsDeadLettered.inc(labels, deadLettered);
    if (retried > 0) this.metrics.recordsRetried.inc(labels, retried);
  }

  private handleDeps(heartbeat: () => Promise<void>): HandleDeps<V, O> {
    const o = this.options;
    return {
      processor: this.name,
      handler: o.handler,
      decoder: o.decoder,
      encoder: o.encoder,
      logger: this.log,
      dlqTopic: dlqName,
      sleep: async (ms) => {
        await new Promise((resolve) => setTimeout(resolve, ms));
        await heartbeat();
      },
      nowMs: () => (o.clock === undefined ? Date.now() : o.clock.nowMs()),
      ...(o.attemptsMax === undefined ? {} : { attemptsMax: o.attemptsMax }),
      ...(o.backoff === undefined ? {} : { backoff: o.backoff }),
      ...(o.random === undefined ? {} : { random: o.random }),
      keyLogField: o.keyLogField ?? 'paymentId',
      ...(this.retryTiers.topics.length === 0 ? {} : { retry: this.retryTiers }),
    };
  }

  private async committedOffset(topic: string, partition: number): Promise<bigint | undefined> {
    const [entry] = await this.admin.fetchOffsets({ groupId: this.name, topics: [topic] });
    const found = entry?.partitions.find((p) => p.partition === partition);
    if (found === undefined || found.offset === '-1' || found.offset === '') return undefined;
    return BigInt(found.offset);
  }
}
