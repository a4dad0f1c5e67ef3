/**
 * Persistence of the transaction coordinator: one journal line per state change holding the
 * transaction's whole record (last line per id wins), compacted to one line per id at start
 * and whenever the file outgrows the live state. See durable.ts for the line format.
 */
import path from 'node:path';
import { Journal, loadJournal } from './durable.ts';
import { CoordinatorStateError } from './errors.ts';
import { JOURNAL_COMPACT_SLACK_BYTES } from './limits.ts';

export const TRANSACTIONS_JOURNAL_FILE = 'transactions.journal';

/** Transaction states of spec §7, plus the two prepared states of the two-phase completion. */
export type TxnState = 'Empty' | 'Ongoing' | 'PrepareCommit' | 'PrepareAbort' | 'CompleteCommit' | 'CompleteAbort';

const STATES: ReadonlySet<string> = new Set<TxnState>(['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort']);

/** What survives a restart for one transactional id. */
export interface TxnRecord {
  txnId: string;
  producerId: number;
  epoch: number;
  timeoutMs: number;
  state: TxnState;
  /** [topic, partition] pairs in the order they were added. */
  partitions: Array<[string, number]>;
  groups: string[];
  /** When the transaction became Ongoing (the timeout counts from here). */
  startMs: number;
  /** Last state change; the least recently used idle id is forgotten first. */
  updatedMs: number;
}

type Line = { kind: 'txn'; txn: TxnRecord } | { kind: 'forget'; txnId: string };

function isTxnRecord(value: unknown): value is TxnRecord {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  return (
    typeof r.txnId === 'string' &&
    Number.isSafeInteger(r.producerId) &&
    Number.isSafeInteger(r.epoch) &&
    Number.isSafeInteger(r.timeoutMs) &&
    typeof r.state === 'string' &&
    STATES.has(r.state) &&
    Array.isArray(r.partitions) &&
    r.partitions.every((p: unknown) => Array.isArray(p) && typeof p[0] === 'string' && Number.isSafeInteger(p[1])) &&
    Array.isArray(r.groups) &&
    r.groups.every((g: unknown) => typeof g === 'string') &&
    typeof r.startMs === 'number' &&
    typeof r.updatedMs === 'number'
  );
}

function isLine(value: unknown): value is Line {
  if (typeof value !== 'object' || value === null) return false;
  const l = value as Record<string, unknown>;
  if (l.kind === 'txn') return isTxnRecord(l.txn);
  return l.kind === 'forget' && typeof l.txnId === 'string';
}

export class TxnJournal {
  private journal: Journal;
  private compactedBytes: number;

  private constructor(
    private readonly file: string,
    journal: Journal,
  ) {
    this.journal = journal;
    this.compactedBytes = journal.sizeBytes();
  }

  /** Loads every transaction, then rewrites the file compactly and opens it for appends. */
  static open(dataDir: string): { journal: TxnJournal; records: TxnRecord[] } {
    const file = path.join(dataDir, TRANSACTIONS_JOURNAL_FILE);
    const byId = new Map<string, TxnRecord>();
    for (const line of loadJournal(file)) {
      if (!isLine(line)) throw new CoordinatorStateError('journal_corrupt', file, 'holds a line that is not a transaction record');
      if (line.kind === 'txn') byId.set(line.txn.txnId, line.txn);
      else byId.delete(line.txnId);
    }
    const records = [...byId.values()];
    return { journal: new TxnJournal(file, Journal.rewrite(file, records.map((txn) => ({ kind: 'txn', txn })))), records };
  }

  /** Durably records the transaction's new state; `live` supplies the snapshot if compaction is due. */
  save(txn: TxnRecord, live: () => Iterable<TxnRecord>): void {
    this.append({ kind: 'txn', txn }, live);
  }

  forget(txnId: string, live: () => Iterable<TxnRecord>): void {
    this.append({ kind: 'forget', txnId }, live);
  }

  close(): void {
    this.journal.close();
  }

  private append(line: Line, live: () => Iterable<TxnRecord>): void {
    this.journal.append(line);
    if (this.journal.sizeBytes() > 2 * this.compactedBytes + JOURNAL_COMPACT_SLACK_BYTES) {
      this.journal.close();
      this.journal = Journal.rewrite(this.file, [...live()].map((txn) => ({ kind: 'txn', txn })));
      this.compactedBytes = this.journal.sizeBytes();
    }
  }
}
