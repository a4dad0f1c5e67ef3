/**
 * OffsetCommit (key 8) v2. https://kafka.apache.org/protocol#The_Messages_OffsetCommit
 *
 * v2 carries retention_time_ms (the broker ignores it) and no throttle time in the response
 * (that arrives at v3). Offsets are stored verbatim, negatives included (spec §6).
 */
import type { Reader, Writer } from '../primitives.ts';

export const API_KEY = 8;
export const VERSION = 2;

export interface OffsetCommitRequestPartition {
  partitionIndex: number;
  committedOffset: number;
  committedMetadata: string | null;
}

export interface OffsetCommitRequestTopic {
  name: string;
  partitions: OffsetCommitRequestPartition[];
}

export interface OffsetCommitRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  retentionTimeMs: number;
  topics: OffsetCommitRequestTopic[];
}

export interface OffsetCommitResponsePartition {
  partitionIndex: number;
  errorCode: number;
}

export interface OffsetCommitResponseTopic {
  name: string;
  partitions: OffsetCommitResponsePartition[];
}

export interface OffsetCommitResponse {
  topics: OffsetCommitResponseTopic[];
}

export function decodeOffsetCommitRequest(r: Reader): OffsetCommitRequest {
  const groupId = r.string();
  const generationId = r.int32();
  const memberId = r.string();
  const retentionTimeMs = r.int64();
  const topics = r.array((r2) => ({
    name: r2.string(),
    partitions: r2.array((r3) => ({
      partitionIndex: r3.int32(),
      committedOffset: r3.int64(),
      committedMetadata: r3.nullableString(),
    })),
  }));
  return { groupId, generationId, memberId, retentionTimeMs, topics };
}

export function encodeOffsetCommitRequest(w: Writer, req: OffsetCommitRequest): void {
  w.string(req.groupId).int32(req.generationId).string(req.memberId).int64(req.retentionTimeMs);
  w.array(req.topics, (w2, t) => {
    w2.string(t.name);
    w2.array(t.partitions, (w3, p) => {
      w3.int32(p.partitionIndex).int64(p.committedOffset).nullableString(p.committedMetadata);
    });
  });
}

export function encodeOffsetCommitResponse(w: Writer, res: OffsetCommitResponse): void {
  w.array(res.topics, (w2, t) => {
    w2.string(t.name);
    w2.array(t.partitions, (w3, p) => {
      w3.int32(p.partitionIndex).int16(p.errorCode);
    });
  });
}

export function decodeOffsetCommitResponse(r: Reader): OffsetCommitResponse {
  const topics = r.array((r2) => ({
    name: r2.string(),
    partitions: r2.array((r3) => ({ partitionIndex: r3.int32(), errorCode: r3.int16() })),
  }));
  return { topics };
}
