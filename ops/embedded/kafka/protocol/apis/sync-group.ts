/**
 * SyncGroup (key 14) v0. https://kafka.apache.org/protocol#The_Messages_SyncGroup
 *
 * The leader sends every member's assignment; followers send none and wait (spec §6).
 */
import type { Reader, Writer } from '../primitives.ts';

export const API_KEY = 14;
export const VERSION = 0;

export interface SyncGroupRequestAssignment {
  memberId: string;
  assignment: Buffer;
}

export interface SyncGroupRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  assignments: SyncGroupRequestAssignment[];
}

export interface SyncGroupResponse {
  errorCode: number;
  /** This member's assignment; empty bytes when it has none. */
  assignment: Buffer;
}

export function decodeSyncGroupRequest(r: Reader): SyncGroupRequest {
  const groupId = r.string();
  const generationId = r.int32();
  const memberId = r.string();
  const assignments = r.array((r2) => ({ memberId: r2.string(), assignment: r2.bytes() }));
  return { groupId, generationId, memberId, assignments };
}

export function encodeSyncGroupRequest(w: Writer, req: SyncGroupRequest): void {
  w.string(req.groupId).int32(req.generationId).string(req.memberId);
  w.array(req.assignments, (w2, a) => {
    w2.string(a.memberId).bytes(a.assignment);
  });
}

export function encodeSyncGroupResponse(w: Writer, res: SyncGroupResponse): void {
  w.int16(res.errorCode).bytes(res.assignment);
}

export function decodeSyncGroupResponse(r: Reader): SyncGroupResponse {
  const errorCode = r.int16();
  const assignment = r.bytes();
  return { errorCode, assignment };
}
