/**
 * ListGroups (key 16) v0. https://kafka.apache.org/protocol#The_Messages_ListGroups
 *
 * The v0 request has an empty body; the response has no throttle time.
 */
import type { Reader, Writer } from '../primitives.ts';

export const API_KEY = 16;
export const VERSION = 0;

/** Empty at v0. */
export type ListGroupsRequest = Record<string, never>;

export interface ListedGroup {
  groupId: string;
  protocolType: string;
}

export interface ListGroupsResponse {
  errorCode: number;
  groups: ListedGroup[];
}

export function decodeListGroupsRequest(_r: Reader): ListGroupsRequest {
  return {};
}

export function encodeListGroupsRequest(_w: Writer, _req: ListGroupsRequest): void {
  // Empty body at v0.
}

export function encodeListGroupsResponse(w: Writer, res: ListGroupsResponse): void {
  w.int16(res.errorCode);
  w.array(res.groups, (w2, g) => {
    w2.string(g.groupId).string(g.protocolType);
  });
}

export function decodeListGroupsResponse(r: Reader): ListGroupsResponse {
  const errorCode = r.int16();
  const groups = r.array((r2) => ({ groupId: r2.string(), protocolType: r2.string() }));
  return { errorCode, groups };
}
