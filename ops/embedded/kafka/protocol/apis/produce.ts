/**
 * Produce (key 0) v3. https://kafka.apache.org/protocol#The_Messages_Produce
 *
 * v3 is the first version carrying record batch v2 and a transactional id (spec §1, MsgVer2).
 * Records stay opaque here (log/ owns the batch format). With acks=0 the broker sends no
 * response frame at all (spec §1). throttle_time_ms comes last in the v3 response.
 */
import type { Reader, Writer } from '../primitives.ts';

export const API_KEY = 0;
export const VERSION = 3;

export interface ProduceRequestPartition {
  index: number;
  /** The record batch bytes; shares memory with the request frame. */
  records: Buffer | null;
}

export interface ProduceRequestTopic {
  name: string;
  partitionData: ProduceRequestPartition[];
}

export interface ProduceRequest {
  transactionalId: string | null;
  acks: number;
  timeoutMs: number;
  topicData: ProduceRequestTopic[];
}

export interface ProduceResponsePartition {
  index: number;
  errorCode: number;
  baseOffset: number;
  /** -1: the broker keeps CreateTime (spec §3). */
  logAppendTimeMs: number;
}

export interface ProduceResponseTopic {
  name: string;
  partitionResponses: ProduceResponsePartition[];
}

export interface ProduceResponse {
  responses: ProduceResponseTopic[];
  throttleTimeMs: number;
}

export function decodeProduceRequest(r: Reader): ProduceRequest {
  const transactionalId = r.nullableString();
  const acks = r.int16();
  const timeoutMs = r.int32();
  const topicData = r.array((r2) => ({
    name: r2.string(),
    partitionData: r2.array((r3) => ({ index: r3.int32(), records: r3.nullableBytes() })),
  }));
  return { transactionalId, acks, timeoutMs, topicData };
}

export function encodeProduceRequest(w: Writer, req: ProduceRequest): void {
  w.nullableString(req.transactionalId).int16(req.acks).int32(req.timeoutMs);
  w.array(req.topicData, (w2, t) => {
    w2.string(t.name);
    w2.array(t.partitionData, (w3, p) => {
      w3.int32(p.index).nullableBytes(p.records);
    });
  });
}

export function encodeProduceResponse(w: Writer, res: ProduceResponse): void {
  w.array(res.responses, (w2, t) => {
    w2.string(t.name);
    w2.array(t.partitionResponses, (w3, p) => {
      w3.int32(p.index).int16(p.errorCode).int64(p.baseOffset).int64(p.logAppendTimeMs);
    });
  });
  w.int32(res.throttleTimeMs);
}

export function decodeProduceResponse(r: Reader): ProduceResponse {
  const responses = r.array((r2) => ({
    name: r2.string(),
    partitionResponses: r2.array((r3) => ({
      index: r3.int32(),
      errorCode: r3.int16(),
      baseOffset: r3.int64(),
      logAppendTimeMs: r3.int64(),
    })),
  }));
  const throttleTimeMs = r.int32();
  return { responses, throttleTimeMs };
}
