/**
 * TxnOffsetCommit (key 28) v0. https://kafka.apache.org/protocol#The_Messages_TxnOffsetCommit
 *
 * Offsets are staged per producer and published by EndTxn commit; v0 carries no member or
 * generation to check (spec §7).
 */
import type { Reader, Writer } from '../primitives.ts';

export const API_KEY = 28;
export const VERSION = 0;

export interface TxnOffsetCommitRequestPartition {
  partitionIndex: number;
  committedOffset: number;
  committedMetadata: string | null;
}

export interface TxnOffsetCommitRequestTopic {
  name: string;
  partitions: TxnOffsetCommitRequestPartition[];
}

export interface TxnOffsetCommitRequest {
  transactionalId: string;
  groupId: string;
  producerId: number;
  producerEpoch: number;
  topics: TxnOffsetCommitRequestTopic[];
}

export interface TxnOffsetCommitResponsePartition {
  partitionIndex: number;
  errorCode: number;
}

export interface TxnOffsetCommitResponseTopic {
  name: string;
  partitions: TxnOffsetCommitResponsePartition[];
}

export interface TxnOffsetCommitResponse {
  throttleTimeMs: number;
  topics: TxnOffsetCommitResponseTopic[];
}

export function decodeTxnOffsetCommitRequest(r: Reader): TxnOffsetCommitRequest {
  const transactionalId = r.string();
  const groupId = r.string();
  const producerId = r.int64();
  const producerEpoch = r.int16();
  const topics = r.array((r2) => ({
    name: r2.string(),
    partitions: r2.array((r3) => ({
      partitionIndex: r3.int32(),
      committedOffset: r3.int64(),
      committedMetadata: r3.nullableString(),
    })),
  }));
  return { transactionalId, groupId, producerId, producerEpoch, topics };
}

export function encodeTxnOffsetCommitRequest(w: Writer, req: TxnOffsetCommitRequest): void {
  w.string(req.transactionalId).string(req.groupId).int64(req.producerId).int16(req.producerEpoch);
  w.array(req.topics, (w2, t) => {
    w2.string(t.name);
    w2.array(t.partitions, (w3, p) => {
      w3.int32(p.partitionIndex).int64(p.committedOffset).nullableString(p.committedMetadata);
    });
  });
}

export function encodeTxnOffsetCommitResponse(w: Writer, res: TxnOffsetCommitResponse): void {
  w.int32(res.throttleTimeMs);
  w.array(res.topics, (w2, t) => {
    w2.string(t.name);
    w2.array(t.partitions, (w3, p) => {
      w3.int32(p.partitionIndex).int16(p.errorCode);
    });
  });
}

export function decodeTxnOffsetCommitResponse(r: Reader): TxnOffsetCommitResponse {
  const throttleTimeMs = r.int32();
  const topics = r.array((r2) => ({
    name: r2.string(),
    partitions: r2.array((r3) => ({ partitionIndex: r3.int32(), errorCode: r3.int16() })),
  }));
  return { throttleTimeMs, topics };
}
