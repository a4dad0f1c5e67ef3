/**
 * Committed group offsets and staged transactional offsets (spec §6 "Offsets"), persisted in an
 * append-only journal (durable.ts) and compacted at start. Memberships are not here: they live
 * in memory only, and clients rejoin after a restart.
 *
 * Offsets and metadata are stored verbatim, negatives included: kafkajs commits -1/-2 and
 * resolves them later through ListOffsets (spec §9.6). Null metadata is kept as "", as Kafka does.
 */
import path from 'node:path';
import { ErrorCode } from '../contracts.ts';
import type { ErrorCodeValue } from '../contracts.ts';
import { Journal, loadJournal } from './durable.ts';
import { CoordinatorStateError } from './errors.ts';
import { GROUP_OFFSETS_MAX, GROUP_PENDING_OFFSETS_MAX, JOURNAL_COMPACT_SLACK_BYTES, OFFSET_METADATA_BYTES_MAX, OFFSETS_JOURNAL_CHUNK_BYTES } from './limits.ts';
import { tpKey } from './types.ts';
import type { PartitionOffset, TxnOffsetSink } from './types.ts';

export const OFFSETS_JOURNAL_FILE = 'group-offsets.journal';

/** [topic, partition, offset, metadata]: compact enough for one line per many offsets. */
type Entry = [string, number, number, string];

type Line =
  | { kind: 'commit'; group: string; offsets: Entry[] }
  | { kind: 'stage'; group: string; producerId: number; offsets: Entry[] }
  | { kind: 'complete'; group: string; producerId: number; commit: boolean }
  | { kind: 'deleteTopic'; topic: string };

type OffsetMap = Map<string, Entry>;

export interface FetchedTopic {
  name: string;
  partitions: Array<{ partitionIndex: number; committedOffset: number; metadata: string; errorCode: ErrorCodeValue }>;
}

function isEntry(e: unknown): e is Entry {
  return Array.isArray(e) && typeof e[0] === 'string' && Number.isSafeInteger(e[1]) && Number.isSafeInteger(e[2]) && typeof e[3] === 'string';
}

function isLine(v: unknown): v is Line {
  if (typeof v !== 'object' || v === null) return false;
  const l = v as Record<string, unknown>;
  const entries = (): boolean => Array.isArray(l.offsets) && l.offsets.every(isEntry);
  switch (l.kind) {
    case 'commit':
      return typeof l.group === 'string' && entries();
    case 'stage':
      return typeof l.group === 'string' && Number.isSafeInteger(l.producerId) && entries();
    case 'complete':
      return typeof l.group === 'string' && Number.isSafeInteger(l.producerId) && typeof l.commit === 'boolean';
    case 'deleteTopic':
      return typeof l.topic === 'string';
    default:
      return false;
  }
}

/** Splits entries so that no journal line outgrows its limit. */
function chunks(entries: readonly Entry[]): Entry[][] {
  const out: Entry[][] = [];
  let current: Entry[] = [];
  let bytes = 0;
  for (const e of entries) {
    const size = Buffer.byteLength(JSON.stringify(e)) + 1;
    if (current.length > 0 && bytes + size > OFFSETS_JOURNAL_CHUNK_BYTES) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(e);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

export class OffsetStore implements TxnOffsetSink {
  private readonly committed = new Map<string, OffsetMap>();
  /** group → producer id → staged offsets, invisible until the transaction commits. */
  private readonly pending = new Map<string, Map<number, OffsetMap>>();
  private journal: Journal;
  private compactedBytes = 0;

  private constructor(private readonly file: string) {
    for (const line of loadJournal(file)) {
      if (!isLine(line)) throw new CoordinatorStateError('journal_corrupt', file, 'holds a line that is not an offsets record');
      this.apply(line);
    }
    this.journal = this.rewrite();
  }

  static open(dataDir: string): OffsetStore {
    return new OffsetStore(path.join(dataDir, OFFSETS_JOURNAL_FILE));
  }

  /** 0, or the code a commit of these offsets gets from the limits (12 metadata, 28 count). */
  checkCommit(groupId: string, offsets: readonly PartitionOffset[]): ErrorCodeValue {
    if (offsets.some((o) => (o.metadata ?? '').length > OFFSET_METADATA_BYTES_MAX)) return ErrorCode.OFFSET_METADATA_TOO_LARGE;
    const existing = this.committed.get(groupId);
    const fresh = offsets.filter((o) => existing?.has(tpKey(o.topic, o.partition)) !== true).length;
    if ((existing?.size ?? 0) + fresh > GROUP_OFFSETS_MAX) return ErrorCode.INVALID_COMMIT_OFFSET_SIZE;
    return ErrorCode.NONE;
  }

  /** Durably stores offsets (call checkCommit first). */
  commit(groupId: string, offsets: readonly PartitionOffset[]): void {
    for (const part of chunks(offsets.map(toEntry))) this.record({ kind: 'commit', group: groupId, offsets: part });
  }

  /** The committed offset, or undefined when none. */
  get(groupId: string, topic: string, partition: number): { offset: number; metadata: string } | undefined {
    const e = this.committed.get(groupId)?.get(tpKey(topic, partition));
    return e === undefined ? undefined : { offset: e[2], metadata: e[3] };
  }

  /**
   * OffsetFetch (spec §6): null topics means every committed partition, by topic in first-commit
   * order; a partition without a commit reads offset -1 and metadata "", with error 0.
   */
  fetch(groupId: string, topics: ReadonlyArray<{ name: string; partitionIndexes: readonly number[] }> | null): FetchedTopic[] {
    if (topics === null) {
      const byTopic = new Map<string, FetchedTopic>();
      for (const [topic, partitionIndex, committedOffset, metadata] of this.committed.get(groupId)?.values() ?? []) {
        let entry = byTopic.get(topic);
        if (entry === undefined) {
          entry = { name: topic, partitions: [] };
          byTopic.set(topic, entry);
        }
        entry.partitions.push({ partitionIndex, committedOffset, metadata, errorCode: ErrorCode.NONE });
      }
      for (const t of byTopic.values()) t.partitions.sort((a, b) => a.partitionIndex - b.partitionIndex);
      return [...byTopic.values()];
    }
    return topics.map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((partitionIndex) => {
        const found = this.get(groupId, t.name, partitionIndex);
        return { partitionIndex, committedOffset: found?.offset ?? -1, metadata: found?.metadata ?? '', errorCode: ErrorCode.NONE };
      }),
    }));
  }

  /** Whether the group has committed or staged offsets. */
  hasGroup(groupId: string): boolean {
    return this.committed.has(groupId) || this.pending.has(groupId);
  }

  /** Groups that have committed or staged offsets. */
  groupIds(): string[] {
    return [...new Set([...this.committed.keys(), ...this.pending.keys()])];
  }

  stageTxnOffsets(groupId: string, producerId: number, offsets: readonly PartitionOffset[]): ErrorCodeValue {
    if (offsets.some((o) => (o.metadata ?? '').length > OFFSET_METADATA_BYTES_MAX)) return ErrorCode.OFFSET_METADATA_TOO_LARGE;
    const staged = this.pending.get(groupId)?.get(producerId);
    const fresh = offsets.filter((o) => staged?.has(tpKey(o.topic, o.partition)) !== true).length;
    if ((staged?.size ?? 0) + fresh > GROUP_PENDING_OFFSETS_MAX) return ErrorCode.INVALID_COMMIT_OFFSET_SIZE;
    for (const part of chunks(offsets.map(toEntry))) this.record({ kind: 'stage', group: groupId, producerId, offsets: part });
    return ErrorCode.NONE;
  }

  completeTxnOffsets(groupId: string, producerId: number, commit: boolean): void {
    if (this.pending.get(groupId)?.has(producerId) !== true) return;
    this.record({ kind: 'complete', group: groupId, producerId, commit });
  }

  /** Staged offsets of one producer (tests, debugging). */
  staged(groupId: string, producerId: number): PartitionOffset[] {
    return [...(this.pending.get(groupId)?.get(producerId)?.values() ?? [])].map(([topic, partition, offset, metadata]) => ({ topic, partition, offset, metadata }));
  }

  /** Drops committed and staged offsets of a deleted topic (spec §8 DeleteTopics). */
  deleteTopic(topic: string): void {
    const has = (m: OffsetMap): boolean => [...m.values()].some((e) => e[0] === topic);
    const touched = [...this.committed.values()].some(has) || [...this.pending.values()].some((byPid) => [...byPid.values()].some(has));
    if (touched) this.record({ kind: 'deleteTopic', topic });
  }

  close(): void {
    this.journal.close();
  }

  private record(line: Line): void {
    this.journal.append(line);
    this.apply(line);
    if (this.journal.sizeBytes() > 2 * this.compactedBytes + JOURNAL_COMPACT_SLACK_BYTES) {
      this.journal.close();
      this.journal = this.rewrite();
    }
  }

  private apply(line: Line): void {
    switch (line.kind) {
      case 'commit':
        putAll(getOrCreate(this.committed, line.group, () => new Map()), line.offsets);
        return;
      case 'stage':
        putAll(getOrCreate(getOrCreate(this.pending, line.group, () => new Map()), line.producerId, () => new Map()), line.offsets);
        return;
      case 'complete': {
        const byPid = this.pending.get(line.group);
        const staged = byPid?.get(line.producerId);
        if (byPid === undefined || staged === undefined) return;
        if (line.commit) putAll(getOrCreate(this.committed, line.group, () => new Map()), [...staged.values()]);
        byPid.delete(line.producerId);
        if (byPid.size === 0) this.pending.delete(line.group);
        return;
      }
      case 'deleteTopic':
        for (const m of this.committed.values()) dropTopic(m, line.topic);
        for (const byPid of this.pending.values()) for (const m of byPid.values()) dropTopic(m, line.topic);
        return;
      default: {
        const never: never = line;
        throw new Error(`unhandled offsets line ${JSON.stringify(never)}`);
      }
    }
  }

  /** Rewrites the journal as one commit line per group chunk and one stage line per staged chunk. */
  private rewrite(): Journal {
    const lines: Line[] = [];
    for (const [group, m] of this.committed) for (const part of chunks([...m.values()])) lines.push({ kind: 'commit', group, offsets: part });
    for (const [group, byPid] of this.pending) {
      for (const [producerId, m] of byPid) for (const part of chunks([...m.values()])) lines.push({ kind: 'stage', group, producerId, offsets: part });
    }
    const journal = Journal.rewrite(this.file, lines);
    this.compactedBytes = journal.sizeBytes();
    return journal;
  }
}

function toEntry(o: PartitionOffset): Entry {
  return [o.topic, o.partition, o.offset, o.metadata ?? ''];
}

function putAll(m: OffsetMap, entries: readonly Entry[]): void {
  for (const e of entries) m.set(tpKey(e[0], e[1]), e);
}

function dropTopic(m: OffsetMap, topic: string): void {
  for (const [key, e] of m) if (e[0] === topic) m.delete(key);
}

function getOrCreate<K, V>(m: Map<K, V>, key: K, make: () => V): V {
  let v = m.get(key);
  if (v === undefined) {
    v = make();
    m.set(key, v);
  }
  return v;
}
