/**
 * The transaction coordinator of spec §7, synchronous: InitProducerId, AddPartitionsToTxn,
 * AddOffsetsToTxn, TxnOffsetCommit and EndTxn are answered in one call each, and a timed-out
 * transaction is aborted from tick().
 *
 * Completion is two-phase and journaled: Prepare* is durable before any marker is written and
 * Complete* after every marker and the group offsets, so a crash in between is finished by
 * recoverOnStart() (or by the next tick, if a marker write failed). Writing a marker twice is
 * harmless: partition state ignores a marker for a producer with nothing open there.
 */
import { ErrorCode } from '../contracts.ts';
import type { ErrorCodeValue, MarkerWriter } from '../contracts.ts';
import {
  PRODUCER_EPOCH_MAX,
  TRANSACTION_GROUPS_MAX,
  TRANSACTION_PARTITIONS_MAX,
  TRANSACTION_TIMEOUT_MS_MAX,
  TRANSACTIONAL_ID_LENGTH_MAX,
  TRANSACTIONAL_IDS_MAX,
} from './limits.ts';
import { TxnJournal } from './txn-journal.ts';
import type { TxnRecord, TxnState } from './txn-journal.ts';
import { tpKey } from './types.ts';
import type { Clock, PartitionOffset, TopicPartition, TxnOffsetSink } from './types.ts';

export type { TxnState } from './txn-journal.ts';

export interface TransactionCoordinatorOptions {
  dataDir: string;
  clock: Clock;
  producerIds: { allocate(): number };
  markers: MarkerWriter;
  offsets: TxnOffsetSink;
  /** Whether the topic-partition exists now (AddPartitionsToTxn answers 3 otherwise). */
  partitionExists(topic: string, partition: number): boolean;
  /** Called after markers were written, so Fetch requests parked on these partitions' LSO wake. */
  onLsoChange?(partitions: TopicPartition[]): void;
}

export interface InitProducerIdResult {
  errorCode: ErrorCodeValue;
  producerId: number;
  producerEpoch: number;
}

export interface TopicPartitionsRequest {
  topic: string;
  partitions: number[];
}

export interface TopicPartitionsResult {
  topic: string;
  partitions: Array<{ partition: number; errorCode: ErrorCodeValue }>;
}

/** In-memory form of a transaction; TxnRecord is its journal form. */
interface Txn {
  txnId: string;
  producerId: number;
  epoch: number;
  timeoutMs: number;
  state: TxnState;
  partitions: Map<string, TopicPartition>;
  groups: Set<string>;
  startMs: number;
  updatedMs: number;
}

function toRecord(t: Txn): TxnRecord {
  return {
    txnId: t.txnId,
    producerId: t.producerId,
    epoch: t.epoch,
    timeoutMs: t.timeoutMs,
    state: t.state,
    partitions: [...t.partitions.values()].map((tp): [string, number] => [tp.topic, tp.partition]),
    groups: [...t.groups],
    startMs: t.startMs,
    updatedMs: t.updatedMs,
  };
}

function fromRecord(r: TxnRecord): Txn {
  return {
    ...r,
    partitions: new Map(r.partitions.map(([topic, partition]) => [tpKey(topic, partition), { topic, partition }])),
    groups: new Set(r.groups),
  };
}

const NO_PRODUCER: Omit<InitProducerIdResult, 'errorCode'> = { producerId: -1, producerEpoch: -1 };

export class TransactionCoordinator {
  /** Insertion order is recency order (save() re-inserts); the oldest idle id is forgotten first. */
  private readonly txns = new Map<string, Txn>();

  private constructor(
    private readonly options: TransactionCoordinatorOptions,
    private readonly journal: TxnJournal,
    records: TxnRecord[],
  ) {
    for (const r of [...records].sort((a, b) => a.updatedMs - b.updatedMs)) this.txns.set(r.txnId, fromRecord(r));
  }

  /** Loads (and compacts) the journal. Call recoverOnStart() once partition logs are open. */
  static open(options: TransactionCoordinatorOptions): TransactionCoordinator {
    const { journal, records } = TxnJournal.open(options.dataDir);
    return new TransactionCoordinator(options, journal, records);
  }

  /** Finishes transactions a crash left prepared; returns the partitions whose LSO moved. */
  recoverOnStart(): TopicPartition[] {
    return this.finishPrepared();
  }

  initProducerId(txnId: string | null, timeoutMs: number): InitProducerIdResult {
    // Idempotent producers (null id) get a fresh id; librdkafka sends timeout -1 for them.
    if (txnId === null) return { errorCode: ErrorCode.NONE, producerId: this.options.producerIds.allocate(), producerEpoch: 0 };
    if (txnId.length === 0 || txnId.length > TRANSACTIONAL_ID_LENGTH_MAX) return { errorCode: ErrorCode.INVALID_REQUEST, ...NO_PRODUCER };
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0 || timeoutMs > TRANSACTION_TIMEOUT_MS_MAX) {
      return { errorCode: ErrorCode.INVALID_TRANSACTION_TIMEOUT, ...NO_PRODUCER };
    }
    const now = this.options.clock.nowMs();
    const existing = this.txns.get(txnId);
    if (existing === undefined) {
      if (!this.makeRoom()) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, ...NO_PRODUCER };
      const txn: Txn = {
        txnId,
        producerId: this.options.producerIds.allocate(),
        epoch: 0,
        timeoutMs,
        state: 'Empty',
        partitions: new Map(),
        groups: new Set(),
        startMs: now,
        updatedMs: now,
      };
      this.save(txn);
      return { errorCode: ErrorCode.NONE, producerId: txn.producerId, producerEpoch: 0 };
    }
    if (existing.state === 'PrepareCommit' || existing.state === 'PrepareAbort') {
      return { errorCode: ErrorCode.CONCURRENT_TRANSACTIONS, ...NO_PRODUCER };
    }
    if (existing.state === 'Ongoing') {
      // Spec §7: abort the open transaction now (Kafka answers 51 until it finishes). The
      // markers carry the bumped epoch, which fences the old producer on every partition.
      if (!this.abortFenced(existing).bumped) this.newProducerId(existing);
    } else if (existing.epoch < PRODUCER_EPOCH_MAX) {
      existing.epoch += 1;
    } else {
      this.newProducerId(existing);
    }
    existing.state = 'Empty';
    existing.timeoutMs = timeoutMs;
    existing.partitions.clear();
    existing.groups.clear();
    this.save(existing);
    return { errorCode: ErrorCode.NONE, producerId: existing.producerId, producerEpoch: existing.epoch };
  }

  addPartitions(txnId: string, producerId: number, epoch: number, topics: readonly TopicPartitionsRequest[]): TopicPartitionsResult[] {
    const answerAll = (code: ErrorCodeValue): TopicPartitionsResult[] =>
      topics.map((t) => ({ topic: t.topic, partitions: t.partitions.map((partition) => ({ partition, errorCode: code })) }));
    const found = this.validate(txnId, producerId, epoch);
    if (typeof found === 'number') return answerAll(found);
    if (isPrepared(found.state)) return answerAll(ErrorCode.CONCURRENT_TRANSACTIONS);
    const unknown = new Set<string>();
    for (const t of topics) for (const p of t.partitions) if (!this.options.partitionExists(t.topic, p)) unknown.add(tpKey(t.topic, p));
    if (unknown.size > 0) {
      // Spec §7: 3 on the unknown partitions, 55 on the rest; nothing is added.
      return topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((partition) => ({
          partition,
          errorCode: unknown.has(tpKey(t.topic, partition)) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.OPERATION_NOT_ATTEMPTED,
        })),
      }));
    }
    const wasOngoing = found.state === 'Ongoing';
    const adding = wasOngoing ? new Map(found.partitions) : new Map<string, TopicPartition>();
    for (const t of topics) for (const partition of t.partitions) adding.set(tpKey(t.topic, partition), { topic: t.topic, partition });
    if (adding.size > TRANSACTION_PARTITIONS_MAX) return answerAll(ErrorCode.INVALID_REQUEST);
    if (wasOngoing && adding.size === found.partitions.size) return answerAll(ErrorCode.NONE);
    this.beginIfIdle(found);
    found.partitions = adding;
    this.save(found);
    return answerAll(ErrorCode.NONE);
  }

  addOffsets(txnId: string, producerId: number, epoch: number, groupId: string): ErrorCodeValue {
    const found = this.validate(txnId, producerId, epoch);
    if (typeof found === 'number') return found;
    if (isPrepared(found.state)) return ErrorCode.CONCURRENT_TRANSACTIONS;
    if (groupId.length === 0 || groupId.length > TRANSACTIONAL_ID_LENGTH_MAX) return ErrorCode.INVALID_GROUP_ID;
    if (found.state === 'Ongoing' && found.groups.has(groupId)) return ErrorCode.NONE;
    if (found.state === 'Ongoing' && found.groups.size >= TRANSACTION_GROUPS_MAX) return ErrorCode.INVALID_REQUEST;
    this.beginIfIdle(found);
    found.groups.add(groupId);
    this.save(found);
    return ErrorCode.NONE;
  }

  /**
   * Stages offsets in the group's pending set for this producer (spec §7). The group must have
   * been added with AddOffsetsToTxn, otherwise the staged offsets would never be published or
   * dropped: 48.
   */
  txnOffsetCommit(txnId: string, groupId: string, producerId: number, epoch: number, offsets: readonly PartitionOffset[]): ErrorCodeValue {
    const found = this.validate(txnId, producerId, epoch);
    if (typeof found === 'number') return found;
    if (found.state !== 'Ongoing' || !found.groups.has(groupId)) return ErrorCode.INVALID_TXN_STATE;
    return this.options.offsets.stageTxnOffsets(groupId, producerId, offsets) as ErrorCodeValue;
  }

  endTxn(txnId: string, producerId: number, epoch: number, commit: boolean): ErrorCodeValue {
    const found = this.validate(txnId, producerId, epoch);
    if (typeof found === 'number') return found;
    switch (found.state) {
      case 'Ongoing':
        this.complete(found, commit);
        return ErrorCode.NONE;
      case 'CompleteCommit':
        // A retry of the same outcome succeeds; the opposite outcome is a state error (spec §7).
        return commit ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE;
      case 'CompleteAbort':
        return commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.NONE;
      case 'PrepareCommit':
      case 'PrepareAbort':
        return ErrorCode.CONCURRENT_TRANSACTIONS;
      case 'Empty':
        return ErrorCode.INVALID_TXN_STATE;
      default: {
        const never: never = found.state;
        throw new Error(`unhandled transaction state ${String(never)}`);
      }
    }
  }

  /**
   * Aborts Ongoing transactions older than their timeout, bumping the epoch so the old producer
   * gets 47 (spec §7), and retries prepared ones whose markers failed. Returns the partitions
   * whose LSO moved.
   */
  tick(nowMs: number): TopicPartition[] {
    const moved = this.finishPrepared();
    for (const txn of [...this.txns.values()]) {
      if (txn.state !== 'Ongoing' || nowMs - txn.startMs <= txn.timeoutMs) continue;
      moved.push(...this.abortFenced(txn).moved);
    }
    return moved;
  }

  /** Drops a deleted topic's partitions from every transaction (no marker can be written there). */
  deleteTopic(topic: string): void {
    for (const txn of this.txns.values()) {
      let changed = false;
      for (const [key, tp] of txn.partitions) {
        if (tp.topic === topic) {
          txn.partitions.delete(key);
          changed = true;
        }
      }
      if (changed) this.save(txn);
    }
  }

  /**
   * Whether a transactional batch may be appended (called by Produce for each partition): the
   * id must name this producer at this epoch (49 / 47), with the transaction Ongoing and the
   * partition added to it (48). Closes the gap where a fenced producer writes to a partition
   * that has not seen the new epoch yet.
   */
  checkProduce(txnId: string | null, producerId: number, epoch: number, topic: string, partition: number): ErrorCodeValue {
    if (txnId === null) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    const found = this.validate(txnId, producerId, epoch);
    if (typeof found === 'number') return found;
    if (found.state !== 'Ongoing' || !found.partitions.has(tpKey(topic, partition))) return ErrorCode.INVALID_TXN_STATE;
    return ErrorCode.NONE;
  }

  /** The journal form of one transaction (tests, debugging). */
  describe(txnId: string): TxnRecord | undefined {
    const txn = this.txns.get(txnId);
    return txn === undefined ? undefined : toRecord(txn);
  }

  close(): void {
    this.journal.close();
  }

  /** 49 for an unknown id or another producer id, 47 for any other epoch (spec §7). */
  private validate(txnId: string, producerId: number, epoch: number): Txn | ErrorCodeValue {
    const txn = this.txns.get(txnId);
    if (txn === undefined || txn.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (txn.epoch !== epoch) return ErrorCode.INVALID_PRODUCER_EPOCH;
    return txn;
  }

  private beginIfIdle(txn: Txn): void {
    if (txn.state === 'Ongoing') return;
    txn.state = 'Ongoing';
    txn.partitions = new Map();
    txn.groups = new Set();
    txn.startMs = this.options.clock.nowMs();
  }

  /**
   * Aborts an Ongoing transaction with the epoch bumped first, so its markers fence the old
   * producer on every partition and its next coordinator call gets 47. At the i16 epoch limit
   * the markers keep the current epoch (they must close the transaction of this producer id)
   * and `bumped` tells the caller no bump happened.
   */
  private abortFenced(txn: Txn): { bumped: boolean; moved: TopicPartition[] } {
    const bumped = txn.epoch < PRODUCER_EPOCH_MAX;
    if (bumped) txn.epoch += 1;
    return { bumped, moved: this.complete(txn, false) };
  }

  /** A new producer id at epoch 0, when the i16 epoch cannot grow (Kafka does the same). */
  private newProducerId(txn: Txn): void {
    txn.producerId = this.options.producerIds.allocate();
    txn.epoch = 0;
  }

  /** Two-phase completion: Prepare* durable, markers and offsets, then Complete* durable. */
  private complete(txn: Txn, commit: boolean): TopicPartition[] {
    txn.state = commit ? 'PrepareCommit' : 'PrepareAbort';
    this.save(txn);
    return this.finish(txn);
  }

  private finish(txn: Txn): TopicPartition[] {
    const commit = txn.state === 'PrepareCommit';
    const written: TopicPartition[] = [];
    for (const tp of txn.partitions.values()) {
      if (!this.options.partitionExists(tp.topic, tp.partition)) continue; // deleted meanwhile
      this.options.markers.writeMarker(tp.topic, tp.partition, txn.producerId, txn.epoch, commit);
      written.push(tp);
    }
    for (const groupId of txn.groups) this.options.offsets.completeTxnOffsets(groupId, txn.producerId, commit);
    txn.state = commit ? 'CompleteCommit' : 'CompleteAbort';
    txn.partitions = new Map();
    txn.groups = new Set();
    this.save(txn);
    if (written.length > 0) this.options.onLsoChange?.(written);
    return written;
  }

  private finishPrepared(): TopicPartition[] {
    const moved: TopicPartition[] = [];
    for (const txn of [...this.txns.values()]) if (isPrepared(txn.state)) moved.push(...this.finish(txn));
    return moved;
  }

  private save(txn: Txn): void {
    txn.updatedMs = this.options.clock.nowMs();
    this.txns.delete(txn.txnId);
    this.txns.set(txn.txnId, txn);
    this.journal.save(toRecord(txn), () => [...this.txns.values()].map(toRecord));
  }

  /** Forgets the least recently used idle transactional id when the table is full. */
  private makeRoom(): boolean {
    if (this.txns.size < TRANSACTIONAL_IDS_MAX) return true;
    for (const txn of this.txns.values()) {
      if (txn.state === 'Ongoing' || isPrepared(txn.state)) continue;
      this.txns.delete(txn.txnId);
      this.journal.forget(txn.txnId, () => [...this.txns.values()].map(toRecord));
      return true;
    }
    return false;
  }
}

function isPrepared(state: TxnState): boolean {
  return state === 'PrepareCommit' || state === 'PrepareAbort';
}
