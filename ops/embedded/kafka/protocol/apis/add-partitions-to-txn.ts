/**
 * AddPartitionsToTxn (key 24) v0. https://kafka.apache.org/protocol#The_Messages_AddPartitionsToTxn
 *
 * librdkafka's max is 0 (spec §1). Field names follow Kafka's message definition, which prefixes
 * the client-side (v0–v3) shape with "V3AndBelow" since KIP-890 added a broker-side batch form.
 */
import { readInt32, type Reader, type Writer, writeInt32 } from '../primitives.ts';

export const API_KEY = 24;
export const VERSION = 0;

export interface AddPartitionsToTxnTopic {
  name: string;
  partitions: number[];
}

export interface AddPartitionsToTxnRequest {
  v3AndBelowTransactionalId: string;
  v3AndBelowProducerId: number;
  v3AndBelowProducerEpoch: number;
  v3AndBelowTopics: AddPartitionsToTxnTopic[];
}

export interface AddPartitionsToTxnPartitionResult {
  partitionIndex: number;
  partitionErrorCode: number;
}

export interface AddPartitionsToTxnTopicResult {
  name: string;
  resultsByPartition: AddPartitionsToTxnPartitionResult[];
}

export interface AddPartitionsToTxnResponse {
  throttleTimeMs: number;
  resultsByTopicV3AndBelow: AddPartitionsToTxnTopicResult[];
}

export function decodeAddPartitionsToTxnRequest(r: Reader): AddPartitionsToTxnRequest {
  const v3AndBelowTransactionalId = r.string();
  const v3AndBelowProducerId = r.int64();
  const v3AndBelowProducerEpoch = r.int16();
  const v3AndBelowTopics = r.array((r2) => ({ name: r2.string(), partitions: r2.array(readInt32) }));
  return { v3AndBelowTransactionalId, v3AndBelowProducerId, v3AndBelowProducerEpoch, v3AndBelowTopics };
}

export function encodeAddPartitionsToTxnRequest(w: Writer, req: AddPartitionsToTxnRequest): void {
  w.string(req.v3AndBelowTransactionalId).int64(req.v3AndBelowProducerId).int16(req.v3AndBelowProducerEpoch);
  w.array(req.v3AndBelowTopics, (w2, t) => {
    w2.string(t.name).array(t.partitions, writeInt32);
  });
}

export function encodeAddPartitionsToTxnResponse(w: Writer, res: AddPartitionsToTxnResponse): void {
  w.int32(res.throttleTimeMs);
  w.array(res.resultsByTopicV3AndBelow, (w2, t) => {
    w2.string(t.name);
    w2.array(t.resultsByPartition, (w3, p) => {
      w3.int32(p.partitionIndex).int16(p.partitionErrorCode);
    });
  });
}

export function decodeAddPartitionsToTxnResponse(r: Reader): AddPartitionsToTxnResponse {
  const throttleTimeMs = r.int32();
  const resultsByTopicV3AndBelow = r.array((r2) => ({
    name: r2.string(),
    resultsByPartition: r2.array((r3) => ({ partitionIndex: r3.int32(), partitionErrorCode: r3.int16() })),
  }));
  return { throttleTimeMs, resultsByTopicV3AndBelow };
}
