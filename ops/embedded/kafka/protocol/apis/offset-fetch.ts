/**
 * OffsetFetch (key 9) v3. https://kafka.apache.org/protocol#The_Messages_OffsetFetch
 *
 * topics null asks for every committed partition (kafkajs `fetchOffsets({groupId})` needs it,
 * spec §1). Unknown partitions answer offset -1, metadata "", error 0 (spec §6).
 */
import { readInt32, type Reader, type Writer, writeInt32 } from '../primitives.ts';

export const API_KEY = 9;
export const VERSION = 3;

export interface OffsetFetchRequestTopic {
  name: string;
  partitionIndexes: number[];
}

export interface OffsetFetchRequest {
  groupId: string;
  topics: OffsetFetchRequestTopic[] | null;
}

export interface OffsetFetchResponsePartition {
  partitionIndex: number;
  committedOffset: number;
  metadata: string | null;
  errorCode: number;
}

export interface OffsetFetchResponseTopic {
  name: string;
  partitions: OffsetFetchResponsePartition[];
}

export interface OffsetFetchResponse {
  throttleTimeMs: number;
  topics: OffsetFetchResponseTopic[];
  errorCode: number;
}

export function decodeOffsetFetchRequest(r: Reader): OffsetFetchRequest {
  const groupId = r.string();
  const topics = r.nullableArray((r2) => ({ name: r2.string(), partitionIndexes: r2.array(readInt32) }));
  return { groupId, topics };
}

export function encodeOffsetFetchRequest(w: Writer, req: OffsetFetchRequest): void {
  w.string(req.groupId);
  w.nullableArray(req.topics, (w2, t) => {
    w2.string(t.name).array(t.partitionIndexes, writeInt32);
  });
}

export function encodeOffsetFetchResponse(w: Writer, res: OffsetFetchResponse): void {
  w.int32(res.throttleTimeMs);
  w.array(res.topics, (w2, t) => {
    w2.string(t.name);
    w2.array(t.partitions, (w3, p) => {
      w3.int32(p.partitionIndex).int64(p.committedOffset).nullableString(p.metadata).int16(p.errorCode);
    });
  });
  w.int16(res.errorCode);
}

export function decodeOffsetFetchResponse(r: Reader): OffsetFetchResponse {
  const throttleTimeMs = r.int32();
  const topics = r.array((r2) => ({
    name: r2.string(),
    partitions: r2.array((r3) => ({
      partitionIndex: r3.int32(),
      committedOffset: r3.int64(),
      metadata: r3.nullableString(),
      errorCode: r3.int16(),
    })),
  }));
  const errorCode = r.int16();
  return { throttleTimeMs, topics, errorCode };
}
