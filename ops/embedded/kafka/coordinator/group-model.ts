/**
 * The data of one classic consumer group and the pure rules over it (spec §6): protocol choice
 * by votes, the leader, the answers a completed join phase gives. groups.ts holds the state
 * machine that drives them.
 */
import { ErrorCode } from '../contracts.ts';
import type { ErrorCodeValue } from '../contracts.ts';

export type GroupStateName = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable';

export interface GroupProtocol {
  name: string;
  metadata: Buffer;
}

export interface JoinGroupResult {
  errorCode: ErrorCodeValue;
  generationId: number;
  protocolName: string;
  leader: string;
  memberId: string;
  /** Only the leader's answer lists the members, with their metadata for the chosen protocol. */
  members: Array<{ memberId: string; metadata: Buffer }>;
}

export interface SyncGroupResult {
  errorCode: ErrorCodeValue;
  assignment: Buffer;
}

export interface JoinGroupInput {
  groupId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  memberId: string;
  protocolType: string;
  protocols: GroupProtocol[];
  clientId: string;
  clientHost: string;
}

export interface SyncGroupInput {
  groupId: string;
  generationId: number;
  memberId: string;
  assignments: Array<{ memberId: string; assignment: Buffer }>;
}

export interface OffsetCommitInput {
  groupId: string;
  generationId: number;
  memberId: string;
  topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; committedOffset: number; committedMetadata: string | null }> }>;
}

export interface OffsetCommitResult {
  topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; errorCode: ErrorCodeValue }> }>;
}

export interface OffsetFetchResult {
  errorCode: ErrorCodeValue;
  topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; committedOffset: number; metadata: string; errorCode: ErrorCodeValue }> }>;
}

export interface DescribedGroup {
  errorCode: ErrorCodeValue;
  groupId: string;
  groupState: GroupStateName | 'Dead';
  protocolType: string;
  protocolData: string;
  members: Array<{ memberId: string; clientId: string; clientHost: string; memberMetadata: Buffer; memberAssignment: Buffer }>;
}

export interface Member {
  memberId: string;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: GroupProtocol[];
  assignment: Buffer;
  lastSeenMs: number;
  /** A parked JoinGroup, answered when the join phase ends. */
  join?: (result: JoinGroupResult) => void;
  /** A parked SyncGroup, answered when the leader's assignment arrives. */
  sync?: (result: SyncGroupResult) => void;
}

export interface Group {
  groupId: string;
  state: GroupStateName;
  generation: number;
  protocolType: string | null;
  protocol: string | null;
  leaderId: string | null;
  /** Insertion order is join order: "the first member" of spec §6. */
  members: Map<string, Member>;
  /** PreparingRebalance: the phase ends by this time at the latest (the rebalance timeout). */
  deadlineMs: number;
  /** PreparingRebalance: not before this time (the initial rebalance delay from Empty). */
  notBeforeMs: number;
  /** Whether the current PreparingRebalance started from Empty (new members extend the delay). */
  fromEmpty: boolean;
}

export const EMPTY_BYTES = Buffer.alloc(0);

export function newGroup(groupId: string): Group {
  return {
    groupId,
    state: 'Empty',
    generation: 0,
    protocolType: null,
    protocol: null,
    leaderId: null,
    members: new Map(),
    deadlineMs: 0,
    notBeforeMs: 0,
    fromEmpty: false,
  };
}

export function failedJoin(code: ErrorCodeValue, memberId: string): JoinGroupResult {
  return { errorCode: code, generationId: -1, protocolName: '', leader: '', memberId, members: [] };
}

/** Protocol names every member supports, in the first member's order of preference. */
export function candidateProtocols(members: Iterable<Member>): string[] {
  let candidates: string[] | undefined;
  for (const m of members) {
    const names = new Set(m.protocols.map((p) => p.name));
    candidates = candidates === undefined ? [...names] : candidates.filter((n) => names.has(n));
  }
  return candidates ?? [];
}

/** Whether a joiner offering `protocols` has a protocol in common with the whole group. */
export function supportsProtocols(group: Group, protocols: readonly GroupProtocol[], except?: string): boolean {
  const others = [...group.members.values()].filter((m) => m.memberId !== except);
  if (others.length === 0) return protocols.length > 0;
  const candidates = new Set(candidateProtocols(others));
  return protocols.some((p) => candidates.has(p.name));
}

/** Each member votes for its first protocol that all support; most votes wins, ties go to the earlier candidate. */
export function selectProtocol(members: readonly Member[]): string {
  const candidates = candidateProtocols(members);
  const allowed = new Set(candidates);
  const votes = new Map<string, number>();
  for (const m of members) {
    const choice = m.protocols.find((p) => allowed.has(p.name));
    if (choice !== undefined) votes.set(choice.name, (votes.get(choice.name) ?? 0) + 1);
  }
  let best = candidates[0] ?? '';
  for (const name of candidates) if ((votes.get(name) ?? 0) > (votes.get(best) ?? 0)) best = name;
  return best;
}

export function sameProtocols(a: readonly GroupProtocol[], b: readonly GroupProtocol[]): boolean {
  return a.length === b.length && a.every((p, i) => p.name === b[i]?.name && p.metadata.equals(b[i].metadata));
}

export function metadataFor(member: Member, protocol: string | null): Buffer {
  return member.protocols.find((p) => p.name === protocol)?.metadata ?? EMPTY_BYTES;
}

/** The answer to a member's join once the phase has ended; only the leader gets the member list. */
export function joinAnswer(group: Group, member: Member): JoinGroupResult {
  const isLeader = member.memberId === group.leaderId;
  return {
    errorCode: ErrorCode.NONE,
    generationId: group.generation,
    protocolName: group.protocol ?? '',
    leader: group.leaderId ?? '',
    memberId: member.memberId,
    members: isLeader ? [...group.members.values()].map((m) => ({ memberId: m.memberId, metadata: metadataFor(m, group.protocol) })) : [],
  };
}
