/**
 * EndTxn (key 26) v0. https://kafka.apache.org/protocol#The_Messages_EndTxn
 *
 * committed true writes COMMIT markers, false ABORT markers (spec §7).
 */
import type { Reader, Writer } from '../primitives.ts';

export const API_KEY = 26;
export const VERSION = 0;

export interface EndTxnRequest {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  committed: boolean;
}

export interface EndTxnResponse {
  throttleTimeMs: number;
  errorCode: number;
}

export function decodeEndTxnRequest(r: Reader): EndTxnRequest {
  const transactionalId = r.string();
  const producerId = r.int64();
  const producerEpoch = r.int16();
  const committed = r.boolean();
  return { transactionalId, producerId, producerEpoch, committed };
}

export function encodeEndTxnRequest(w: Writer, req: EndTxnRequest): void {
  w.string(req.transactionalId).int64(req.producerId).int16(req.producerEpoch).boolean(req.committed);
}

export function encodeEndTxnResponse(w: Writer, res: EndTxnResponse): void {
  w.int32(res.throttleTimeMs).int16(res.errorCode);
}

export function decodeEndTxnResponse(r: Reader): EndTxnResponse {
  const throttleTimeMs = r.int32();
  const errorCode = r.int16();
  return { throttleTimeMs, errorCode };
}
