/**
 * The broker: joins the partition logs, the per-partition producer state and the coordinators,
 * and dispatches each request frame to the handler of its API (handlers/). Request handling
 * rules that span APIs live here: version negotiation (spec §1), appends that keep partition
 * state and parked fetches in step (spec §4, §5), topic lifecycle (spec §8).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Logger } from 'pino';
import type { BatchHeader, LogManager, MarkerWriter, PartitionLog, TopicConfig } from './contracts.ts';
import { FetchWaiters } from './fetch-waiters.ts';
import { observeRequest, type BrokerStateSource } from './metrics.ts';
import type { ConnectionInfo, FrameOutcome } from './server.ts';
import { PartitionStateImpl } from './coordinator/partition-state.ts';
import { ProducerIdAllocator } from './coordinator/producer-ids.ts';
import { TransactionCoordinator } from './coordinator/transactions.ts';
import { GroupCoordinator } from './coordinator/groups.ts';
import { openLogManager } from './log/log-manager.ts';
import type { Clock } from './coordinator/types.ts';
import { tpKey } from './coordinator/types.ts';
import { buildControlBatch, readBatchHeader } from './log/record-batch.ts';
import { ProtocolError, Reader, Writer } from './protocol/primitives.ts';
import { decodeRequestHeader, responseWithoutSize } from './protocol/header.ts';
import { NO_RESPONSE, type ApiHandler, type RequestContext } from './handlers/handler.ts';
import { API_VERSIONS_KEY, encodeUnsupportedApiVersions } from './handlers/api-versions.ts';
import { handlers } from './handlers/index.ts';
import { ADVERTISED_API_VERSIONS, isImplementedVersion } from './protocol/apis/index.ts';
import type { ApiVersionsResponseKey } from './protocol/apis/api-versions.ts';
import { DEFAULT_TOPIC_CONFIG } from './log/topic-config.ts';

/** BrokerOptions with every default applied (index.ts resolves them). */
export interface ResolvedBrokerOptions {
  dataDir: string;
  host: string;
  port: number;
  advertisedHost: string;
  autoCreateTopics: boolean;
  defaultPartitions: number;
  groupInitialRebalanceDelayMs: number;
  fsyncIntervalMs: number;
  transactionCheckIntervalMs: number;
  /** Retention and compaction period; 0 leaves them to runLogCleanup. */
  logCleanupIntervalMs: number;
}

/** Names Kafka reserves for its internal topics; Metadata never lists them (spec §8). */
export const INTERNAL_TOPICS: ReadonlySet<string> = new Set(['__consumer_offsets', '__transaction_state']);

export interface BrokerDeps {
  logs: LogManager;
  producerIds: ProducerIdAllocator;
  clock: Clock;
  logger: Logger;
  options: ResolvedBrokerOptions;
}

/** Where the parts keep their files under the data directory (README "Storage layout"). */
export const LOGS_DIR = 'logs';
export const COORDINATOR_DIR = 'coordinator';

export class Broker implements MarkerWriter {
  readonly logs: LogManager;
  readonly producerIds: ProducerIdAllocator;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly options: ResolvedBrokerOptions;
  readonly waiters = new FetchWaiters();
  /** Set by Broker.open once the coordinators exist (they need the broker as MarkerWriter). */
  transactions!: TransactionCoordinator;
  groups!: GroupCoordinator;
  /** True once close() began: parked fetches answer at once. */
  closing = false;
  /** Host and port clients are told to connect to; the port is known once the server listens. */
  advertised: { host: string; port: number };
  private readonly states = new Map<string, PartitionStateImpl>();
  private readonly handlerByKey: Map<number, ApiHandler>;

  constructor(deps: BrokerDeps) {
    this.logs = deps.logs;
    this.producerIds = deps.producerIds;
    this.clock = deps.clock;
    this.logger = deps.logger;
    this.options = deps.options;
    this.advertised = { host: deps.options.advertisedHost, port: deps.options.port };
    this.handlerByKey = new Map(handlers.map((h) => [h.apiKey, h]));
    // Advertising a key without a handler (or the reverse) would break version negotiation (spec §1).
    const advertised = ADVERTISED_API_VERSIONS.map((k) => `${k.apiKey}:${k.maxVersion}`).sort();
    assert.deepEqual(handlers.map((h) => `${h.apiKey}:${h.version}`).sort(), advertised, 'every advertised API has exactly one handler');
  }

  /**
   * Opens the logs and coordinator state under options.dataDir, rebuilds every partition's
   * producer state from its stored headers, and finishes transactions a crash left prepared.
   */
  static open(options: ResolvedBrokerOptions, logger: Logger, clock: Clock): Broker {
    const logs = openLogManager({
      dataDir: path.join(options.dataDir, LOGS_DIR),
      logger,
      fsyncIntervalMs: options.fsyncIntervalMs,
      cleanupIntervalMs: options.logCleanupIntervalMs,
      defaults: { partitions: options.defaultPartitions },
      nowMs: () => clock.nowMs(),
    });
    const opened: Array<{ close(): void }> = [logs];
    try {
      const coordinatorDir = path.join(options.dataDir, COORDINATOR_DIR);
      const producerIds = ProducerIdAllocator.open(coordinatorDir);
      const broker = new Broker({ logs, producerIds, clock, logger, options });
      broker.replayPartitionStates();
      broker.groups = GroupCoordinator.open({ dataDir: coordinatorDir, clock, initialRebalanceDelayMs: options.groupInitialRebalanceDelayMs });
      opened.push(broker.groups);
      broker.transactions = TransactionCoordinator.open({
        dataDir: coordinatorDir,
        clock,
        producerIds,
        markers: broker,
        offsets: broker.groups,
        partitionExists: (topic, partition) => broker.partition(topic, partition) !== undefined,
      });
      opened.push(broker.transactions);
      const moved = broker.transactions.recoverOnStart();
      if (moved.length > 0) logger.info({ partitions: moved.length }, 'finished transactions left prepared by a crash');
      return broker;
    } catch (err) {
      for (const part of opened.reverse()) part.close();
      throw err;
    }
  }

  /** The ApiVersions table (spec §1): every implemented key as 0..max. */
  advertisedVersions(): ApiVersionsResponseKey[] {
    return ADVERTISED_API_VERSIONS.map((k) => ({ ...k }));
  }

  /** Timer work: aborts transactions past their timeout and retries unfinished completions (spec §7). */
  tickTransactions(nowMs: number): void {
    this.transactions.tick(nowMs);
  }

  /** Timer work of the group coordinator: session expiry and rebalance deadlines (spec §6). */
  tickGroups(nowMs: number): void {
    this.groups.tick(nowMs);
  }

  /** What metrics read at scrape time. */
  stateSource(): BrokerStateSource {
    return {
      logEndOffsets: () => {
        const out: Array<{ topic: string; partition: number; offset: number }> = [];
        for (const topic of this.logs.topicNames()) {
          const partitions = this.logs.topicConfig(topic)?.partitions ?? 0;
          for (let p = 0; p < partitions; p += 1) {
            const log = this.logs.partition(topic, p);
            if (log !== undefined) out.push({ topic, partition: p, offset: log.logEndOffset() });
          }
        }
        return out;
      },
      groupCount: () => this.groups.listGroups().groups.length,
      openTransactionCount: () => {
        // A transaction is open on the log from its first record until its marker: the producer
        // ids holding some partition's LSO back. Counted at scrape time only.
        const open = new Set<number>();
        for (const state of this.states.values()) for (const o of state.snapshot().ongoing) open.add(o.producerId);
        return open.size;
      },
    };
  }

  /** Runs retention and compaction on every partition now, then forgets aborted ranges they removed. */
  runLogCleanup(nowMs: number): void {
    this.logs.runCleanup(nowMs);
    this.trimPartitionStates();
  }

  /** Drops aborted ranges below each log's start once retention has deleted their records. */
  trimPartitionStates(): void {
    for (const topic of this.logs.topicNames()) {
      const partitions = this.logs.topicConfig(topic)?.partitions ?? 0;
      for (let p = 0; p < partitions; p += 1) {
        const target = this.partition(topic, p);
        target?.state.dropBefore(target.log.logStartOffset());
      }
    }
  }

  /** Rebuilds every partition's producer/transaction state from its stored batch headers. */
  replayPartitionStates(): void {
    for (const topic of this.logs.topicNames()) this.initTopicStates(topic, true);
  }

  /** State of a partition that exists; undefined for unknown ones. */
  partitionState(topic: string, partition: number): PartitionStateImpl | undefined {
    return this.states.get(tpKey(topic, partition));
  }

  /** Log and state of a partition, or undefined when it does not exist. */
  partition(topic: string, partition: number): { log: PartitionLog; state: PartitionStateImpl } | undefined {
    const log = this.logs.partition(topic, partition);
    const state = this.states.get(tpKey(topic, partition));
    if (log === undefined || state === undefined) return undefined;
    return { log, state };
  }

  defaultTopicConfig(partitions = this.options.defaultPartitions): TopicConfig {
    return { ...DEFAULT_TOPIC_CONFIG, partitions };
  }

  /** Creates a topic (throws the log's typed errors: exists, invalid name, invalid config). */
  createTopic(name: string, config: TopicConfig): void {
    this.logs.createTopic(name, config);
    this.initTopicStates(name, false);
    this.logger.info({ topic: name, partitions: config.partitions }, 'topic created');
  }

  /** Deletes a topic with its producer state; parked fetches wake and see it gone. */
  deleteTopic(name: string): void {
    const config = this.logs.topicConfig(name);
    this.logs.deleteTopic(name);
    for (let p = 0; p < (config?.partitions ?? 0); p += 1) this.states.delete(tpKey(name, p));
    // Spec §8: a deleted topic takes its transaction membership and committed offsets with it.
    this.transactions.deleteTopic(name);
    this.groups.deleteTopic(name);
    this.waiters.wakeAll();
    this.logger.info({ topic: name }, 'topic deleted');
  }

  /**
   * Appends a validated, checked batch and records it in the partition state; wakes fetches
   * parked on the partition. Returns the base offset the log assigned.
   */
  append(topic: string, partition: number, batch: Buffer, header: BatchHeader): number {
    const target = this.partition(topic, partition);
    if (target === undefined) throw new Error(`append to unknown partition ${topic}-${partition}`);
    const { baseOffset } = target.log.append(batch);
    target.state.observe({ ...header, baseOffset });
    this.waiters.notify(topic, partition);
    return baseOffset;
  }

  /** MarkerWriter for the transaction coordinator: a COMMIT/ABORT control batch (spec §3, §7). */
  writeMarker(topic: string, partition: number, producerId: number, producerEpoch: number, commit: boolean): number {
    const batch = buildControlBatch({ producerId, producerEpoch, commit, timestampMs: this.clock.nowMs() });
    const header: BatchHeader = { ...readBatchHeader(batch), controlType: commit ? 'commit' : 'abort' };
    if (this.partition(topic, partition) === undefined) {
      // The topic was deleted while the transaction was open: nothing is left to mark.
      this.logger.warn({ topic, partition, producerId }, 'transaction marker skipped: partition no longer exists');
      return -1;
    }
    return this.append(topic, partition, batch, header);
  }

  /** Dispatches one request frame (size prefix removed); see server.ts for the outcomes. */
  async handleFrame(frame: Buffer, connection: ConnectionInfo): Promise<FrameOutcome> {
    const startedAtNs = process.hrtime.bigint();
    const body = new Reader(frame);
    let header;
    try {
      header = decodeRequestHeader(body);
    } catch (err) {
      if (err instanceof ProtocolError) return { kind: 'close', reason: 'malformed_header', detail: { code: err.code, error: err.message } };
      throw err;
    }
    const handler = this.handlerByKey.get(header.apiKey);
    if (handler === undefined) {
      return { kind: 'close', reason: 'unknown_api_key', detail: { apiKey: header.apiKey, apiVersion: header.apiVersion, clientId: header.clientId } };
    }
    if (!isImplementedVersion(header.apiKey, header.apiVersion)) {
      if (header.apiKey === API_VERSIONS_KEY && header.apiVersion > 0) {
        // Spec §1: answer an unknown ApiVersions version with the v0 error body and keep the
        // socket, so librdkafka retries with v0 instead of disabling features.
        observeRequest(handler.name, startedAtNs);
        return { kind: 'reply', response: responseWithoutSize(header.correlationId, encodeUnsupportedApiVersions(new Writer()).finish()) };
      }
      return { kind: 'close', reason: 'unsupported_version', detail: { api: handler.name, apiVersion: header.apiVersion, clientId: header.clientId } };
    }
    const ctx: RequestContext = { broker: this, header, connection, logger: this.logger };
    let response: Buffer | typeof NO_RESPONSE;
    try {
      response = await handler.run(ctx, body);
    } catch (err) {
      if (err instanceof ProtocolError) {
        return { kind: 'close', reason: 'malformed_request', detail: { api: handler.name, code: err.code, error: err.message } };
      }
      throw err;
    } finally {
      observeRequest(handler.name, startedAtNs);
    }
    this.logger.debug({ api: handler.name, correlationId: header.correlationId, clientId: header.clientId, connection: connection.id }, 'request handled');
    if (response === NO_RESPONSE) return { kind: 'noReply' };
    return { kind: 'reply', response: responseWithoutSize(header.correlationId, response) };
  }

  /** Wakes parked fetches so they answer before the sockets close; call before the server closes. */
  beginClose(): void {
    this.closing = true;
    this.waiters.wakeAll();
    // Answers parked JoinGroup/SyncGroup requests (COORDINATOR_NOT_AVAILABLE) and closes the offsets journal.
    this.groups.close();
  }

  /**
   * Closes the coordinators' journals and the logs (fsyncing them); call after the server closed.
   * Safe after beginClose() and on its own (a failed listen): every part's close is idempotent.
   */
  close(): void {
    this.closing = true;
    this.waiters.wakeAll();
    this.groups.close();
    this.transactions.close();
    this.logs.close();
  }

  private initTopicStates(topic: string, replay: boolean): void {
    const config = this.logs.topicConfig(topic);
    if (config === undefined) return;
    const isIssued = (pid: number): boolean => this.producerIds.isIssued(pid);
    for (let p = 0; p < config.partitions; p += 1) {
      const log = this.logs.partition(topic, p);
      if (log === undefined) continue;
      const state = replay ? PartitionStateImpl.rebuildFromLog(log, { isIssued }) : new PartitionStateImpl({ isIssued });
      this.states.set(tpKey(topic, p), state);
    }
  }
}
