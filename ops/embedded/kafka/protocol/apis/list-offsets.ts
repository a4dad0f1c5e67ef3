/**
 * ListOffsets (key 2) v2. https://kafka.apache.org/protocol#The_Messages_ListOffsets
 *
 * v2 carries isolation_level, so "latest" (-1) resolves to the LSO under read_committed (spec §5).
 * Timestamps -2 (earliest) and -1 (latest) are sentinels, not times.
 */
import type { Reader, Writer } from '../primitives.ts';

export const API_KEY = 2;
export const VERSION = 2;

export interface ListOffsetsRequestPartition {
  partitionIndex: number;
  timestamp: number;
}

export interface ListOffsetsRequestTopic {
  name: string;
  partitions: ListOffsetsRequestPartition[];
}

export interface ListOffsetsRequest {
  replicaId: number;
  isolationLevel: number;
  topics: ListOffsetsRequestTopic[];
}

export interface ListOffsetsResponsePartition {
  partitionIndex: number;
  errorCode: number;
  timestamp: number;
  offset: number;
}

export interface ListOffsetsResponseTopic {
  name: string;
  partitions: ListOffsetsResponsePartition[];
}

export interface ListOffsetsResponse {
  throttleTimeMs: number;
  topics: ListOffsetsResponseTopic[];
}

export function decodeListOffsetsRequest(r: Reader): ListOffsetsRequest {
  const replicaId = r.int32();
  const isolationLevel = r.int8();
  const topics = r.array((r2) => ({
    name: r2.string(),
    partitions: r2.array((r3) => ({ partitionIndex: r3.int32(), timestamp: r3.int64() })),
  }));
  return { replicaId, isolationLevel, topics };
}

export function encodeListOffsetsRequest(w: Writer, req: ListOffsetsRequest): void {
  w.int32(req.replicaId).int8(req.isolationLevel);
  w.array(req.topics, (w2, t) => {
    w2.string(t.name);
    w2.array(t.partitions, (w3, p) => {
      w3.int32(p.partitionIndex).int64(p.timestamp);
    });
  });
}

export function encodeListOffsetsResponse(w: Writer, res: ListOffsetsResponse): void {
  w.int32(res.throttleTimeMs);
  w.array(res.topics, (w2, t) => {
    w2.string(t.name);
    w2.array(t.partitions, (w3, p) => {
      w3.int32(p.partitionIndex).int16(p.errorCode).int64(p.timestamp).int64(p.offset);
    });
  });
}

export function decodeListOffsetsResponse(r: Reader): ListOffsetsResponse {
  const throttleTimeMs = r.int32();
  const topics = r.array((r2) => ({
    name: r2.string(),
    partitions: r2.array((r3) => ({
      partitionIndex: r3.int32(),
      errorCode: r3.int16(),
      timestamp: r3.int64(),
      offset: r3.int64(),
    })),
  }));
  return { throttleTimeMs, topics };
}
