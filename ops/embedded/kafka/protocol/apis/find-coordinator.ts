/**
 * FindCoordinator (key 10) v1. https://kafka.apache.org/protocol#The_Messages_FindCoordinator
 *
 * v1 adds key_type (0 group, 1 transaction); librdkafka refuses transactional lookups below v1
 * (spec §1). On one node the coordinator is always node 0.
 */
import type { Reader, Writer } from '../primitives.ts';

export const API_KEY = 10;
export const VERSION = 1;

export interface FindCoordinatorRequest {
  key: string;
  /** 0 group, 1 transaction. */
  keyType: number;
}

export interface FindCoordinatorResponse {
  throttleTimeMs: number;
  errorCode: number;
  errorMessage: string | null;
  nodeId: number;
  host: string;
  port: number;
}

export function decodeFindCoordinatorRequest(r: Reader): FindCoordinatorRequest {
  const key = r.string();
  const keyType = r.int8();
  return { key, keyType };
}

export function encodeFindCoordinatorRequest(w: Writer, req: FindCoordinatorRequest): void {
  w.string(req.key).int8(req.keyType);
}

export function encodeFindCoordinatorResponse(w: Writer, res: FindCoordinatorResponse): void {
  w.int32(res.throttleTimeMs).int16(res.errorCode).nullableString(res.errorMessage);
  w.int32(res.nodeId).string(res.host).int32(res.port);
}

export function decodeFindCoordinatorResponse(r: Reader): FindCoordinatorResponse {
  const throttleTimeMs = r.int32();
  const errorCode = r.int16();
  const errorMessage = r.nullableString();
  const nodeId = r.int32();
  const host = r.string();
  const port = r.int32();
  return { throttleTimeMs, errorCode, errorMessage, nodeId, host, port };
}
