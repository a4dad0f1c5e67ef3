/**
 * CreateTopics (key 19) v0. https://kafka.apache.org/protocol#The_Messages_CreateTopics
 *
 * num_partitions -1 means the broker default; an existing topic answers 36, which kafkajs
 * `createTopics` reports as false (spec §8). The v0 response has no throttle time.
 */
import { readInt32, type Reader, type Writer, writeInt32 } from '../primitives.ts';

export const API_KEY = 19;
export const VERSION = 0;

export interface CreatableReplicaAssignment {
  partitionIndex: number;
  brokerIds: number[];
}

export interface CreateableTopicConfig {
  name: string;
  value: string | null;
}

export interface CreatableTopic {
  name: string;
  numPartitions: number;
  replicationFactor: number;
  assignments: CreatableReplicaAssignment[];
  configs: CreateableTopicConfig[];
}

export interface CreateTopicsRequest {
  topics: CreatableTopic[];
  timeoutMs: number;
}

export interface CreatableTopicResult {
  name: string;
  errorCode: number;
}

export interface CreateTopicsResponse {
  topics: CreatableTopicResult[];
}

export function decodeCreateTopicsRequest(r: Reader): CreateTopicsRequest {
  const topics = r.array((r2) => ({
    name: r2.string(),
    numPartitions: r2.int32(),
    replicationFactor: r2.int16(),
    assignments: r2.array((r3) => ({ partitionIndex: r3.int32(), brokerIds: r3.array(readInt32) })),
    configs: r2.array((r3) => ({ name: r3.string(), value: r3.nullableString() })),
  }));
  const timeoutMs = r.int32();
  return { topics, timeoutMs };
}

export function encodeCreateTopicsRequest(w: Writer, req: CreateTopicsRequest): void {
  w.array(req.topics, (w2, t) => {
    w2.string(t.name).int32(t.numPartitions).int16(t.replicationFactor);
    w2.array(t.assignments, (w3, a) => {
      w3.int32(a.partitionIndex).array(a.brokerIds, writeInt32);
    });
    w2.array(t.configs, (w3, c) => {
      w3.string(c.name).nullableString(c.value);
    });
  });
  w.int32(req.timeoutMs);
}

export function encodeCreateTopicsResponse(w: Writer, res: CreateTopicsResponse): void {
  w.array(res.topics, (w2, t) => {
    w2.string(t.name).int16(t.errorCode);
  });
}

export function decodeCreateTopicsResponse(r: Reader): CreateTopicsResponse {
  return { topics: r.array((r2) => ({ name: r2.string(), errorCode: r2.int16() })) };
}
