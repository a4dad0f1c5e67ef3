/**
 * AddOffsetsToTxn (key 25) v0. https://kafka.apache.org/protocol#The_Messages_AddOffsetsToTxn
 *
 * Adds a consumer group to the transaction before TxnOffsetCommit (spec §7).
 */
import type { Reader, Writer } from '../primitives.ts';

export const API_KEY = 25;
export const VERSION = 0;

export interface AddOffsetsToTxnRequest {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  groupId: string;
}

export interface AddOffsetsToTxnResponse {
  throttleTimeMs: number;
  errorCode: number;
}

export function decodeAddOffsetsToTxnRequest(r: Reader): AddOffsetsToTxnRequest {
  const transactionalId = r.string();
  const producerId = r.int64();
  const producerEpoch = r.int16();
  const groupId = r.string();
  return { transactionalId, producerId, producerEpoch, groupId };
}

export function encodeAddOffsetsToTxnRequest(w: Writer, req: AddOffsetsToTxnRequest): void {
  w.string(req.transactionalId).int64(req.producerId).int16(req.producerEpoch).string(req.groupId);
}

export function encodeAddOffsetsToTxnResponse(w: Writer, res: AddOffsetsToTxnResponse): void {
  w.int32(res.throttleTimeMs).int16(res.errorCode);
}

export function decodeAddOffsetsToTxnResponse(r: Reader): AddOffsetsToTxnResponse {
  const throttleTimeMs = r.int32();
  const errorCode = r.int16();
  return { throttleTimeMs, errorCode };
}
