/**
 * JoinGroup (key 11) v1. https://kafka.apache.org/protocol#The_Messages_JoinGroup
 *
 * v1 adds rebalance_timeout_ms; staying below v4 avoids MEMBER_ID_REQUIRED (spec §9.10). The v1
 * response has no throttle time. Only the leader's response lists members.
 */
import type { Reader, Writer } from '../primitives.ts';

export const API_KEY = 11;
export const VERSION = 1;

export interface JoinGroupRequestProtocol {
  name: string;
  metadata: Buffer;
}

export interface JoinGroupRequest {
  groupId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  /** Empty on a first join; the coordinator assigns one. */
  memberId: string;
  protocolType: string;
  protocols: JoinGroupRequestProtocol[];
}

export interface JoinGroupResponseMember {
  memberId: string;
  metadata: Buffer;
}

export interface JoinGroupResponse {
  errorCode: number;
  generationId: number;
  protocolName: string;
  leader: string;
  memberId: string;
  members: JoinGroupResponseMember[];
}

export function decodeJoinGroupRequest(r: Reader): JoinGroupRequest {
  const groupId = r.string();
  const sessionTimeoutMs = r.int32();
  const rebalanceTimeoutMs = r.int32();
  const memberId = r.string();
  const protocolType = r.string();
  const protocols = r.array((r2) => ({ name: r2.string(), metadata: r2.bytes() }));
  return { groupId, sessionTimeoutMs, rebalanceTimeoutMs, memberId, protocolType, protocols };
}

export function encodeJoinGroupRequest(w: Writer, req: JoinGroupRequest): void {
  w.string(req.groupId).int32(req.sessionTimeoutMs).int32(req.rebalanceTimeoutMs).string(req.memberId).string(req.protocolType);
  w.array(req.protocols, (w2, p) => {
    w2.string(p.name).bytes(p.metadata);
  });
}

export function encodeJoinGroupResponse(w: Writer, res: JoinGroupResponse): void {
  w.int16(res.errorCode).int32(res.generationId).string(res.protocolName).string(res.leader).string(res.memberId);
  w.array(res.members, (w2, m) => {
    w2.string(m.memberId).bytes(m.metadata);
  });
}

export function decodeJoinGroupResponse(r: Reader): JoinGroupResponse {
  const errorCode = r.int16();
  const generationId = r.int32();
  const protocolName = r.string();
  const leader = r.string();
  const memberId = r.string();
  const members = r.array((r2) => ({ memberId: r2.string(), metadata: r2.bytes() }));
  return { errorCode, generationId, protocolName, leader, memberId, members };
}
