/**
 * Metadata (key 3) v4. https://kafka.apache.org/protocol#The_Messages_Metadata
 *
 * topics null means every topic (kafkajs sends null for an empty list, librdkafka -1); an empty
 * array means none (spec §8). v4 adds allow_auto_topic_creation, which is per client.
 */
import { readInt32, type Reader, type Writer, writeInt32 } from '../primitives.ts';

export const API_KEY = 3;
export const VERSION = 4;

export interface MetadataRequestTopic {
  name: string;
}

export interface MetadataRequest {
  topics: MetadataRequestTopic[] | null;
  allowAutoTopicCreation: boolean;
}

export interface MetadataResponseBroker {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface MetadataResponsePartition {
  errorCode: number;
  partitionIndex: number;
  leaderId: number;
  replicaNodes: number[];
  isrNodes: number[];
}

export interface MetadataResponseTopic {
  errorCode: number;
  name: string;
  isInternal: boolean;
  partitions: MetadataResponsePartition[];
}

export interface MetadataResponse {
  throttleTimeMs: number;
  brokers: MetadataResponseBroker[];
  clusterId: string | null;
  controllerId: number;
  topics: MetadataResponseTopic[];
}

export function decodeMetadataRequest(r: Reader): MetadataRequest {
  const topics = r.nullableArray((r2) => ({ name: r2.string() }));
  const allowAutoTopicCreation = r.boolean();
  return { topics, allowAutoTopicCreation };
}

export function encodeMetadataRequest(w: Writer, req: MetadataRequest): void {
  w.nullableArray(req.topics, (w2, t) => {
    w2.string(t.name);
  });
  w.boolean(req.allowAutoTopicCreation);
}

export function encodeMetadataResponse(w: Writer, res: MetadataResponse): void {
  w.int32(res.throttleTimeMs);
  w.array(res.brokers, (w2, b) => {
    w2.int32(b.nodeId).string(b.host).int32(b.port).nullableString(b.rack);
  });
  w.nullableString(res.clusterId);
  w.int32(res.controllerId);
  w.array(res.topics, (w2, t) => {
    w2.int16(t.errorCode).string(t.name).boolean(t.isInternal);
    w2.array(t.partitions, (w3, p) => {
      w3.int16(p.errorCode).int32(p.partitionIndex).int32(p.leaderId);
      w3.array(p.replicaNodes, writeInt32).array(p.isrNodes, writeInt32);
    });
  });
}

export function decodeMetadataResponse(r: Reader): MetadataResponse {
  const throttleTimeMs = r.int32();
  const brokers = r.array((r2) => ({ nodeId: r2.int32(), host: r2.string(), port: r2.int32(), rack: r2.nullableString() }));
  const clusterId = r.nullableString();
  const controllerId = r.int32();
  const topics = r.array((r2) => ({
    errorCode: r2.int16(),
    name: r2.string(),
    isInternal: r2.boolean(),
    partitions: r2.array((r3) => ({
      errorCode: r3.int16(),
      partitionIndex: r3.int32(),
      leaderId: r3.int32(),
      replicaNodes: r3.array(readInt32),
      isrNodes: r3.array(readInt32),
    })),
  }));
  return { throttleTimeMs, brokers, clusterId, controllerId, topics };
}
