/**
 * DescribeGroups (key 15) v0. https://kafka.apache.org/protocol#The_Messages_DescribeGroups
 *
 * An unknown group describes as state "Dead" with error 0; kafkajs `resetOffsets` depends on it
 * (spec §9.7).
 */
import { readString, type Reader, type Writer, writeString } from '../primitives.ts';

export const API_KEY = 15;
export const VERSION = 0;

export interface DescribeGroupsRequest {
  groups: string[];
}

export interface DescribedGroupMember {
  memberId: string;
  clientId: string;
  clientHost: string;
  memberMetadata: Buffer;
  memberAssignment: Buffer;
}

export interface DescribedGroup {
  errorCode: number;
  groupId: string;
  groupState: string;
  protocolType: string;
  /** The chosen protocol name (Stable only), or "". */
  protocolData: string;
  members: DescribedGroupMember[];
}

export interface DescribeGroupsResponse {
  groups: DescribedGroup[];
}

export function decodeDescribeGroupsRequest(r: Reader): DescribeGroupsRequest {
  return { groups: r.array(readString) };
}

export function encodeDescribeGroupsRequest(w: Writer, req: DescribeGroupsRequest): void {
  w.array(req.groups, writeString);
}

export function encodeDescribeGroupsResponse(w: Writer, res: DescribeGroupsResponse): void {
  w.array(res.groups, (w2, g) => {
    w2.int16(g.errorCode).string(g.groupId).string(g.groupState).string(g.protocolType).string(g.protocolData);
    w2.array(g.members, (w3, m) => {
      w3.string(m.memberId).string(m.clientId).string(m.clientHost).bytes(m.memberMetadata).bytes(m.memberAssignment);
    });
  });
}

export function decodeDescribeGroupsResponse(r: Reader): DescribeGroupsResponse {
  const groups = r.array((r2) => ({
    errorCode: r2.int16(),
    groupId: r2.string(),
    groupState: r2.string(),
    protocolType: r2.string(),
    protocolData: r2.string(),
    members: r2.array((r3) => ({
      memberId: r3.string(),
      clientId: r3.string(),
      clientHost: r3.string(),
      memberMetadata: r3.bytes(),
      memberAssignment: r3.bytes(),
    })),
  }));
  return { groups };
}
