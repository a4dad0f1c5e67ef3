/**
 * Heartbeat (key 12) v0. https://kafka.apache.org/protocol#The_Messages_Heartbeat
 *
 * REBALANCE_IN_PROGRESS (27) here is how both clients learn to rejoin (spec §6).
 */
import type { Reader, Writer } from '../primitives.ts';

export const API_KEY = 12;
export const VERSION = 0;

export interface HeartbeatRequest {
  groupId: string;
  generationId: number;
  memberId: string;
}

export interface HeartbeatResponse {
  errorCode: number;
}

export function decodeHeartbeatRequest(r: Reader): HeartbeatRequest {
  const groupId = r.string();
  const generationId = r.int32();
  const memberId = r.string();
  return { groupId, generationId, memberId };
}

export function encodeHeartbeatRequest(w: Writer, req: HeartbeatRequest): void {
  w.string(req.groupId).int32(req.generationId).string(req.memberId);
}

export function encodeHeartbeatResponse(w: Writer, res: HeartbeatResponse): void {
  w.int16(res.errorCode);
}

export function decodeHeartbeatResponse(r: Reader): HeartbeatResponse {
  return { errorCode: r.int16() };
}
