/**
 * Fetch (key 1) v4. https://kafka.apache.org/protocol#The_Messages_Fetch
 *
 * v4 brings isolation_level, last_stable_offset and aborted_transactions (spec §5) without the
 * session fields of v7+ or log_start_offset of v5+ (spec §9.2). aborted_transactions is an
 * empty array under read_committed with none to report, and null under read_uncommitted.
 */
import type { Reader, Writer } from '../primitives.ts';

export const API_KEY = 1;
export const VERSION = 4;

export interface FetchRequestPartition {
  partition: number;
  fetchOffset: number;
  partitionMaxBytes: number;
}

export interface FetchRequestTopic {
  topic: string;
  partitions: FetchRequestPartition[];
}

export interface FetchRequest {
  replicaId: number;
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  /** 0 read_uncommitted, 1 read_committed. */
  isolationLevel: number;
  topics: FetchRequestTopic[];
}

export interface FetchAbortedTransaction {
  producerId: number;
  firstOffset: number;
}

export interface FetchResponsePartition {
  partitionIndex: number;
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  abortedTransactions: FetchAbortedTransaction[] | null;
  /** Whole stored batches, concatenated. */
  records: Buffer | null;
}

export interface FetchResponseTopic {
  topic: string;
  partitions: FetchResponsePartition[];
}

export interface FetchResponse {
  throttleTimeMs: number;
  responses: FetchResponseTopic[];
}

export function decodeFetchRequest(r: Reader): FetchRequest {
  const replicaId = r.int32();
  const maxWaitMs = r.int32();
  const minBytes = r.int32();
  const maxBytes = r.int32();
  const isolationLevel = r.int8();
  const topics = r.array((r2) => ({
    topic: r2.string(),
    partitions: r2.array((r3) => ({ partition: r3.int32(), fetchOffset: r3.int64(), partitionMaxBytes: r3.int32() })),
  }));
  return { replicaId, maxWaitMs, minBytes, maxBytes, isolationLevel, topics };
}

export function encodeFetchRequest(w: Writer, req: FetchRequest): void {
  w.int32(req.replicaId).int32(req.maxWaitMs).int32(req.minBytes).int32(req.maxBytes).int8(req.isolationLevel);
  w.array(req.topics, (w2, t) => {
    w2.string(t.topic);
    w2.array(t.partitions, (w3, p) => {
      w3.int32(p.partition).int64(p.fetchOffset).int32(p.partitionMaxBytes);
    });
  });
}

export function encodeFetchResponse(w: Writer, res: FetchResponse): void {
  w.int32(res.throttleTimeMs);
  w.array(res.responses, (w2, t) => {
    w2.string(t.topic);
    w2.array(t.partitions, (w3, p) => {
      w3.int32(p.partitionIndex).int16(p.errorCode).int64(p.highWatermark).int64(p.lastStableOffset);
      w3.nullableArray(p.abortedTransactions, (w4, a) => {
        w4.int64(a.producerId).int64(a.firstOffset);
      });
      w3.nullableBytes(p.records);
    });
  });
}

export function decodeFetchResponse(r: Reader): FetchResponse {
  const throttleTimeMs = r.int32();
  const responses = r.array((r2) => ({
    topic: r2.string(),
    partitions: r2.array((r3) => ({
      partitionIndex: r3.int32(),
      errorCode: r3.int16(),
      highWatermark: r3.int64(),
      lastStableOffset: r3.int64(),
      abortedTransactions: r3.nullableArray((r4) => ({ producerId: r4.int64(), firstOffset: r4.int64() })),
      records: r3.nullableBytes(),
    })),
  }));
  return { throttleTimeMs, responses };
}
