/**
 * InitProducerId (key 22) v0. https://kafka.apache.org/protocol#The_Messages_InitProducerId
 *
 * A null transactional id asks for an idempotent-only producer id (spec §7); v2+ is flexible,
 * so v0 it is.
 */
import type { Reader, Writer } from '../primitives.ts';

export const API_KEY = 22;
export const VERSION = 0;

export interface InitProducerIdRequest {
  transactionalId: string | null;
  /** librdkafka sends -1 for an idempotent-only producer. */
  transactionTimeoutMs: number;
}

export interface InitProducerIdResponse {
  throttleTimeMs: number;
  errorCode: number;
  producerId: number;
  producerEpoch: number;
}

export function decodeInitProducerIdRequest(r: Reader): InitProducerIdRequest {
  const transactionalId = r.nullableString();
  const transactionTimeoutMs = r.int32();
  return { transactionalId, transactionTimeoutMs };
}

export function encodeInitProducerIdRequest(w: Writer, req: InitProducerIdRequest): void {
  w.nullableString(req.transactionalId).int32(req.transactionTimeoutMs);
}

export function encodeInitProducerIdResponse(w: Writer, res: InitProducerIdResponse): void {
  w.int32(res.throttleTimeMs).int16(res.errorCode).int64(res.producerId).int16(res.producerEpoch);
}

export function decodeInitProducerIdResponse(r: Reader): InitProducerIdResponse {
  const throttleTimeMs = r.int32();
  const errorCode = r.int16();
  const producerId = r.int64();
  const producerEpoch = r.int16();
  return { throttleTimeMs, errorCode, producerId, producerEpoch };
}
