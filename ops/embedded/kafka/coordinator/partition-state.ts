/**
 * Producer and transaction state of one partition (spec §4 idempotence, §5 LSO and aborted
 * ranges). It is derived only from batch headers in log order: the broker replays every stored
 * header at start and observes every appended one afterwards, so replaying the same headers
 * always rebuilds the same state and nothing here is persisted separately.
 */
import assert from 'node:assert/strict';
import { ErrorCode } from '../contracts.ts';
import type { AbortedRange, BatchHeader, PartitionLog, PartitionState, ProduceCheck } from '../contracts.ts';
import { controlTypeOf } from '../log/records.ts';
import { PRODUCER_BATCHES_CACHED, PRODUCERS_PER_PARTITION_MAX, SEQUENCE_MAX } from './limits.ts';

/** One appended batch of a producer, kept to recognise an exact retry. */
interface CachedBatch {
  firstSeq: number;
  lastSeq: number;
  baseOffset: number;
}

interface ProducerEntry {
  epoch: number;
  /** Sequence the next batch must carry; undefined until a data batch of this epoch is stored. */
  nextSeq: number | undefined;
  /** Oldest first, at most PRODUCER_BATCHES_CACHED. */
  batches: CachedBatch[];
}

export interface PartitionStateOptions {
  /** Whether the producer id was ever handed out by InitProducerId (coordinator/producer-ids.ts). */
  isIssued(producerId: number): boolean;
  /** Overrides PRODUCERS_PER_PARTITION_MAX (tests). */
  producersMax?: number;
}

/** A deterministic, comparable picture of the state (tests and debugging). */
export interface PartitionStateSnapshot {
  producers: Array<{ producerId: number; epoch: number; nextSeq: number | null; batches: CachedBatch[] }>;
  ongoing: Array<{ producerId: number; firstOffset: number }>;
  aborted: AbortedRange[];
}

const APPEND: ProduceCheck = { kind: 'append' };

function fail(code: (typeof ErrorCode)[keyof typeof ErrorCode]): ProduceCheck {
  return { kind: 'error', code };
}

/** seq + increment, wrapping past int32 max to 0 as Kafka's DefaultRecordBatch.incrementSequence does. */
export function incrementSequence(seq: number, increment: number): number {
  if (seq > SEQUENCE_MAX - increment) return increment - (SEQUENCE_MAX - seq) - 1;
  return seq + increment;
}

export class PartitionStateImpl implements PartitionState {
  /** Insertion order is recency order: observe() re-inserts, eviction takes the oldest. */
  private readonly producers = new Map<number, ProducerEntry>();
  /** Open transaction per producer: the offset of its first batch here (spec §4 last line). */
  private readonly ongoing = new Map<number, number>();
  /** Sorted by firstOffset. */
  private aborted: AbortedRange[] = [];
  private readonly producersMax: number;

  constructor(private readonly options: PartitionStateOptions) {
    this.producersMax = options.producersMax ?? PRODUCERS_PER_PARTITION_MAX;
  }

  /** Builds the state by observing stored headers in log order. */
  static rebuild(headers: Iterable<BatchHeader>, options: PartitionStateOptions): PartitionStateImpl {
    const state = new PartitionStateImpl(options);
    for (const header of headers) state.observe(header);
    return state;
  }

  /**
   * Rebuilds from a partition log at start. Stored headers carry no marker type, so each control
   * batch is read back to learn it from its record key (markers are few: one per transaction).
   */
  static rebuildFromLog(log: PartitionLog, options: PartitionStateOptions): PartitionStateImpl {
    const state = new PartitionStateImpl(options);
    for (const header of log.headers(log.logStartOffset())) {
      if (header.isControl && header.controlType === undefined) {
        const { bytes } = log.read(header.baseOffset, header.baseOffset + 1, 1);
        const controlType = controlTypeOf(bytes);
        // An unreadable control record (a future type) closes nothing, as in Kafka.
        if (controlType === undefined) continue;
        state.observe({ ...header, controlType });
        continue;
      }
      state.observe(header);
    }
    return state;
  }

  /** The checks of spec §4, in its order. Never answers DUPLICATE_SEQUENCE_NUMBER (46). */
  check(header: BatchHeader): ProduceCheck {
    const pid = header.producerId;
    if (pid < 0) return APPEND; // not idempotent: nothing to check
    // Control batches are written only by the broker; Kafka rejects them from clients.
    if (header.isControl) return fail(ErrorCode.CORRUPT_MESSAGE);
    if (!this.options.isIssued(pid)) {
      return fail(header.isTransactional ? ErrorCode.INVALID_PRODUCER_ID_MAPPING : ErrorCode.UNKNOWN_PRODUCER_ID);
    }
    const entry = this.producers.get(pid);
    if (entry !== undefined && header.producerEpoch < entry.epoch) return fail(ErrorCode.INVALID_PRODUCER_EPOCH);
    // An idempotent batch must carry a sequence; -1 can never be the expected one.
    if (header.baseSequence < 0) return fail(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    if (entry === undefined || header.producerEpoch > entry.epoch || entry.nextSeq === undefined) {
      return header.baseSequence === 0 ? APPEND : fail(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    }
    const lastSeq = incrementSequence(header.baseSequence, header.lastOffsetDelta);
    for (const cached of entry.batches) {
      if (cached.firstSeq === header.baseSequence && cached.lastSeq === lastSeq) {
        return { kind: 'duplicate', baseOffset: cached.baseOffset };
      }
    }
    if (header.baseSequence !== entry.nextSeq) return fail(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    return APPEND;
  }

  /** Records a stored batch (data or control) at its assigned base offset. */
  observe(header: BatchHeader): void {
    const pid = header.producerId;
    if (pid < 0) return;
    const entry = this.touch(pid, header.producerEpoch);
    if (header.producerEpoch > entry.epoch) {
      // A new epoch (a re-initialised producer, or a marker written after a fencing bump):
      // its first batch here starts again at sequence 0.
      entry.epoch = header.producerEpoch;
      entry.nextSeq = undefined;
      entry.batches = [];
    }
    if (header.isControl) {
      this.observeMarker(header);
      return;
    }
    if (header.baseSequence >= 0 && header.producerEpoch === entry.epoch) {
      const lastSeq = incrementSequence(header.baseSequence, header.lastOffsetDelta);
      entry.batches.push({ firstSeq: header.baseSequence, lastSeq, baseOffset: header.baseOffset });
      if (entry.batches.length > PRODUCER_BATCHES_CACHED) entry.batches.shift();
      entry.nextSeq = incrementSequence(lastSeq, 1);
    }
    if (header.isTransactional && !this.ongoing.has(pid)) this.ongoing.set(pid, header.baseOffset);
  }

  /** LSO = the first offset of the oldest open transaction, or the high watermark (spec §5). */
  lastStableOffset(highWatermark: number): number {
    let lso = highWatermark;
    for (const first of this.ongoing.values()) if (first < lso) lso = first;
    return lso;
  }

  /** Aborted ranges overlapping [fromOffset, toOffset], sorted by firstOffset. */
  abortedRanges(fromOffset: number, toOffset: number): AbortedRange[] {
    const out: AbortedRange[] = [];
    for (const range of this.aborted) {
      if (range.firstOffset > toOffset) break;
      if (range.lastOffset >= fromOffset) out.push({ ...range });
    }
    return out;
  }

  /** Forgets aborted ranges whose marker retention has deleted (their records are gone too). */
  dropBefore(logStartOffset: number): void {
    this.aborted = this.aborted.filter((r) => r.lastOffset >= logStartOffset);
  }

  /** Whether the producer has an open transaction on this partition. */
  hasOngoing(producerId: number): boolean {
    return this.ongoing.has(producerId);
  }

  snapshot(): PartitionStateSnapshot {
    return {
      producers: [...this.producers.entries()]
        .sort(([a], [b]) => a - b)
        .map(([producerId, e]) => ({ producerId, epoch: e.epoch, nextSeq: e.nextSeq ?? null, batches: e.batches.map((b) => ({ ...b })) })),
      ongoing: [...this.ongoing.entries()].sort(([a], [b]) => a - b).map(([producerId, firstOffset]) => ({ producerId, firstOffset })),
      aborted: this.aborted.map((r) => ({ ...r })),
    };
  }

  private observeMarker(header: BatchHeader): void {
    assert.ok(header.controlType !== undefined, 'a control batch header must carry its controlType (contracts.ts BatchHeader)');
    const firstOffset = this.ongoing.get(header.producerId);
    // A marker for a producer with no batch here (a retried or recovered marker) changes nothing.
    if (firstOffset === undefined) return;
    this.ongoing.delete(header.producerId);
    if (header.controlType === 'abort') {
      this.insertAborted({ producerId: header.producerId, firstOffset, lastOffset: header.baseOffset });
    }
  }

  private insertAborted(range: AbortedRange): void {
    // Markers arrive in offset order but transactions may start out of order: keep firstOffset order.
    let i = this.aborted.length;
    while (i > 0 && (this.aborted[i - 1]?.firstOffset ?? 0) > range.firstOffset) i -= 1;
    this.aborted.splice(i, 0, range);
  }

  private touch(pid: number, epoch: number): ProducerEntry {
    const existing = this.producers.get(pid);
    if (existing !== undefined) {
      this.producers.delete(pid);
      this.producers.set(pid, existing);
      return existing;
    }
    const created: ProducerEntry = { epoch, nextSeq: undefined, batches: [] };
    this.producers.set(pid, created);
    if (this.producers.size > this.producersMax) this.evictOne();
    return created;
  }

  private evictOne(): void {
    for (const pid of this.producers.keys()) {
      if (!this.ongoing.has(pid)) {
        this.producers.delete(pid);
        return;
      }
    }
  }
}
