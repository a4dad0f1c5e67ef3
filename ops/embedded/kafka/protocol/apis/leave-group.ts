/**
 * LeaveGroup (key 13) v0. https://kafka.apache.org/protocol#The_Messages_LeaveGroup
 *
 * v0 names a single member; batch leaves arrive only at v3.
 */
import type { Reader, Writer } from '../primitives.ts';

export const API_KEY = 13;
export const VERSION = 0;

export interface LeaveGroupRequest {
  groupId: string;
  memberId: string;
}

export interface LeaveGroupResponse {
  errorCode: number;
}

export function decodeLeaveGroupRequest(r: Reader): LeaveGroupRequest {
  const groupId = r.string();
  const memberId = r.string();
  return { groupId, memberId };
}

export function encodeLeaveGroupRequest(w: Writer, req: LeaveGroupRequest): void {
  w.string(req.groupId).string(req.memberId);
}

export function encodeLeaveGroupResponse(w: Writer, res: LeaveGroupResponse): void {
  w.int16(res.errorCode);
}

export function decodeLeaveGroupResponse(r: Reader): LeaveGroupResponse {
  return { errorCode: r.int16() };
}
