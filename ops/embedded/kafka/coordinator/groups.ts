/**
 * The classic group coordinator of spec §6, after Kafka's GroupCoordinator.scala: group states,
 * members, JoinGroup v1 / SyncGroup v0 (which park as promises until their phase ends),
 * Heartbeat, session expiry, LeaveGroup, OffsetCommit/OffsetFetch, DescribeGroups, ListGroups,
 * and transactional offsets staged per producer id.
 *
 * Timers are driven by tick(nowMs). The server answers requests of one connection in order, so
 * a parked join blocks only its own socket. Memberships are in memory only: after a restart a
 * member's heartbeat or join gets UNKNOWN_MEMBER_ID (25) and it rejoins; offsets persist
 * (group-offsets.ts).
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../contracts.ts';
import type { ErrorCodeValue } from '../contracts.ts';
import {
  EMPTY_BYTES,
  failedJoin,
  joinAnswer,
  metadataFor,
  newGroup,
  sameProtocols,
  selectProtocol,
  supportsProtocols,
} from './group-model.ts';
import type {
  DescribedGroup,
  Group,
  GroupStateName,
  JoinGroupInput,
  JoinGroupResult,
  Member,
  OffsetCommitInput,
  OffsetCommitResult,
  OffsetFetchResult,
  SyncGroupInput,
  SyncGroupResult,
} from './group-model.ts';
import { OffsetStore } from './group-offsets.ts';
import {
  GROUP_MEMBERS_MAX,
  GROUP_PROTOCOLS_MAX,
  GROUP_REBALANCE_TIMEOUT_MS_MAX,
  GROUP_SESSION_TIMEOUT_MS_MAX,
  GROUP_SESSION_TIMEOUT_MS_MIN,
  GROUP_STRING_LENGTH_MAX,
  GROUPS_MAX,
} from './limits.ts';
import type { Clock, PartitionOffset, TxnOffsetSink } from './types.ts';

export type {
  DescribedGroup,
  GroupProtocol,
  GroupStateName,
  JoinGroupInput,
  JoinGroupResult,
  OffsetCommitInput,
  OffsetCommitResult,
  OffsetFetchResult,
  SyncGroupInput,
  SyncGroupResult,
} from './group-model.ts';

/** Kafka's default group.initial.rebalance.delay.ms; the broker passes its own (spec §6). */
const INITIAL_REBALANCE_DELAY_MS_KAFKA = 3_000;

export interface GroupCoordinatorOptions {
  dataDir: string;
  clock: Clock;
  initialRebalanceDelayMs?: number;
}

export class GroupCoordinator implements TxnOffsetSink {
  private readonly groups = new Map<string, Group>();
  private readonly initialDelayMs: number;

  private constructor(
    private readonly clock: Clock,
    readonly offsets: OffsetStore,
    initialDelayMs: number,
  ) {
    this.initialDelayMs = initialDelayMs;
  }

  /** Loads (and compacts) the committed offsets; no group has members after a start. */
  static open(options: GroupCoordinatorOptions): GroupCoordinator {
    return new GroupCoordinator(options.clock, OffsetStore.open(options.dataDir), options.initialRebalanceDelayMs ?? INITIAL_REBALANCE_DELAY_MS_KAFKA);
  }

  joinGroup(input: JoinGroupInput): Promise<JoinGroupResult> {
    const fail = (code: ErrorCodeValue): Promise<JoinGroupResult> => Promise.resolve(failedJoin(code, input.memberId));
    if (!validId(input.groupId)) return fail(ErrorCode.INVALID_GROUP_ID);
    if (input.memberId.length > GROUP_STRING_LENGTH_MAX || input.clientId.length > GROUP_STRING_LENGTH_MAX) return fail(ErrorCode.INVALID_REQUEST);
    if (input.sessionTimeoutMs < GROUP_SESSION_TIMEOUT_MS_MIN || input.sessionTimeoutMs > GROUP_SESSION_TIMEOUT_MS_MAX) {
      return fail(ErrorCode.INVALID_SESSION_TIMEOUT);
    }
    if (input.protocolType.length === 0 || input.protocols.length === 0 || input.protocols.length > GROUP_PROTOCOLS_MAX) {
      return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    }
    let group = this.groups.get(input.groupId);
    if (group === undefined) {
      if (input.memberId !== '') return fail(ErrorCode.UNKNOWN_MEMBER_ID);
      if (!this.makeRoom()) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      group = newGroup(input.groupId);
      this.groups.set(group.groupId, group);
    }
    if (group.members.size > 0 && (input.protocolType !== group.protocolType || !supportsProtocols(group, input.protocols, input.memberId))) {
      return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    }
    const now = this.clock.nowMs();
    if (input.memberId === '') {
      // JoinGroup v1: the coordinator names the member at once (no MEMBER_ID_REQUIRED, spec §9.10).
      if (group.members.size >= GROUP_MEMBERS_MAX) return fail(ErrorCode.GROUP_MAX_SIZE_REACHED);
      const member: Member = {
        memberId: `${input.clientId}-${randomUUID()}`,
        clientId: input.clientId,
        clientHost: input.clientHost,
        sessionTimeoutMs: input.sessionTimeoutMs,
        rebalanceTimeoutMs: rebalanceTimeout(input),
        protocolType: input.protocolType,
        protocols: input.protocols,
        assignment: EMPTY_BYTES,
        lastSeenMs: now,
      };
      group.members.set(member.memberId, member);
      group.protocolType = input.protocolType;
      return this.parkJoin(group, member, true);
    }
    const member = group.members.get(input.memberId);
    if (member === undefined) return fail(ErrorCode.UNKNOWN_MEMBER_ID);
    member.lastSeenMs = now;
    const unchanged = sameProtocols(member.protocols, input.protocols);
    // Spec §6: an unchanged member is answered at once in CompletingRebalance, and in Stable
    // unless it is the leader (a rejoining leader wants a new assignment).
    if (unchanged && (group.state === 'CompletingRebalance' || (group.state === 'Stable' && member.memberId !== group.leaderId))) {
      return Promise.resolve(joinAnswer(group, member));
    }
    member.protocols = input.protocols;
    member.sessionTimeoutMs = input.sessionTimeoutMs;
    member.rebalanceTimeoutMs = rebalanceTimeout(input);
    return this.parkJoin(group, member, false);
  }

  syncGroup(input: SyncGroupInput): Promise<SyncGroupResult> {
    const fail = (code: ErrorCodeValue): Promise<SyncGroupResult> => Promise.resolve({ errorCode: code, assignment: EMPTY_BYTES });
    const group = this.groups.get(input.groupId);
    const member = group?.members.get(input.memberId);
    if (group === undefined || member === undefined) return fail(ErrorCode.UNKNOWN_MEMBER_ID);
    if (input.generationId !== group.generation) return fail(ErrorCode.ILLEGAL_GENERATION);
    member.lastSeenMs = this.clock.nowMs();
    switch (group.state) {
      case 'Empty':
        return fail(ErrorCode.UNKNOWN_MEMBER_ID);
      case 'PreparingRebalance':
        return fail(ErrorCode.REBALANCE_IN_PROGRESS);
      case 'Stable':
        return Promise.resolve({ errorCode: ErrorCode.NONE, assignment: member.assignment });
      case 'CompletingRebalance': {
        const parked = new Promise<SyncGroupResult>((resolve) => {
          member.sync?.({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS, assignment: EMPTY_BYTES });
          member.sync = resolve;
        });
        if (member.memberId === group.leaderId) this.completeSync(group, input.assignments);
        return parked;
      }
      default:
        return assertNever(group.state);
    }
  }

  heartbeat(groupId: string, generationId: number, memberId: string): ErrorCodeValue {
    const group = this.groups.get(groupId);
    const member = group?.members.get(memberId);
    if (group === undefined || member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== group.generation) return ErrorCode.ILLEGAL_GENERATION;
    member.lastSeenMs = this.clock.nowMs();
    // Both clients rejoin on 27 (spec §6).
    return group.state === 'PreparingRebalance' ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE;
  }

  leaveGroup(groupId: string, memberId: string): ErrorCodeValue {
    const group = this.groups.get(groupId);
    const member = group?.members.get(memberId);
    if (group === undefined || member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    this.removeMember(group, member, this.clock.nowMs());
    return ErrorCode.NONE;
  }

  /** Session expiry, the initial rebalance delay and the rebalance timeout. */
  tick(nowMs: number): void {
    for (const group of [...this.groups.values()]) {
      for (const member of [...group.members.values()]) {
        // Parked members wait on the group, not on themselves: the rebalance timeout covers them.
        if (member.join !== undefined || member.sync !== undefined) continue;
        if (nowMs - member.lastSeenMs > member.sessionTimeoutMs) this.removeMember(group, member, nowMs);
      }
      this.maybeCompleteJoin(group, nowMs);
    }
  }

  commitOffsets(input: OffsetCommitInput): OffsetCommitResult {
    const answer = (code: ErrorCodeValue): OffsetCommitResult => ({
      topics: input.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code })) })),
    });
    if (!validId(input.groupId)) return answer(ErrorCode.INVALID_GROUP_ID);
    const group = this.groups.get(input.groupId);
    const empty = group === undefined || group.members.size === 0;
    const known = group !== undefined || this.offsets.hasGroup(input.groupId);
    if (empty && input.generationId < 0) {
      // Not managed by the group protocol: standalone consumers and admin resets (spec §6).
      return answer(this.store(input));
    }
    if (!known) return answer(ErrorCode.ILLEGAL_GENERATION);
    const member = group?.members.get(input.memberId);
    if (group === undefined || member === undefined) return answer(ErrorCode.UNKNOWN_MEMBER_ID);
    if (input.generationId !== group.generation) return answer(ErrorCode.ILLEGAL_GENERATION);
    if (group.state === 'CompletingRebalance') return answer(ErrorCode.REBALANCE_IN_PROGRESS);
    // Stable or PreparingRebalance: store; kafkajs commits when it sees 27.
    member.lastSeenMs = this.clock.nowMs();
    return answer(this.store(input));
  }

  /** Committed offsets; null topics means every committed partition. Unknown ones read -1 and "". */
  fetchOffsets(groupId: string, topics: Array<{ name: string; partitionIndexes: number[] }> | null): OffsetFetchResult {
    return { errorCode: ErrorCode.NONE, topics: this.offsets.fetch(groupId, topics) };
  }

  /** Unknown groups describe as "Dead" with error 0 (spec §6, §9.7). */
  describeGroups(groupIds: readonly string[]): DescribedGroup[] {
    return groupIds.map((groupId) => {
      const group = this.groups.get(groupId);
      if (group === undefined) {
        const state = this.offsets.hasGroup(groupId) ? 'Empty' : 'Dead';
        return { errorCode: ErrorCode.NONE, groupId, groupState: state, protocolType: '', protocolData: '', members: [] };
      }
      const stable = group.state === 'Stable';
      return {
        errorCode: ErrorCode.NONE,
        groupId,
        groupState: group.state,
        protocolType: group.protocolType ?? '',
        // Kafka reports the protocol and member metadata only for a Stable group.
        protocolData: stable ? (group.protocol ?? '') : '',
        members: [...group.members.values()].map((m) => ({
          memberId: m.memberId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: stable ? metadataFor(m, group.protocol) : EMPTY_BYTES,
          memberAssignment: stable ? m.assignment : EMPTY_BYTES,
        })),
      };
    });
  }

  listGroups(): { errorCode: ErrorCodeValue; groups: Array<{ groupId: string; protocolType: string }> } {
    const listed = new Map<string, string>();
    for (const id of this.offsets.groupIds()) listed.set(id, '');
    for (const g of this.groups.values()) listed.set(g.groupId, g.protocolType ?? '');
    return { errorCode: ErrorCode.NONE, groups: [...listed].map(([groupId, protocolType]) => ({ groupId, protocolType })) };
  }

  stageTxnOffsets(groupId: string, producerId: number, offsets: readonly PartitionOffset[]): ErrorCodeValue {
    if (!validId(groupId)) return ErrorCode.INVALID_GROUP_ID;
    return this.offsets.stageTxnOffsets(groupId, producerId, offsets);
  }

  completeTxnOffsets(groupId: string, producerId: number, commit: boolean): void {
    this.offsets.completeTxnOffsets(groupId, producerId, commit);
  }

  /** Drops committed and staged offsets of a deleted topic. */
  deleteTopic(topic: string): void {
    this.offsets.deleteTopic(topic);
  }

  /** The group's state name, or "Dead" (tests, metrics). */
  stateOf(groupId: string): GroupStateName | 'Dead' {
    return this.groups.get(groupId)?.state ?? (this.offsets.hasGroup(groupId) ? 'Empty' : 'Dead');
  }

  /** Answers every parked request (the broker is stopping) and closes the journal. */
  close(): void {
    for (const group of this.groups.values()) {
      for (const m of group.members.values()) {
        m.join?.(failedJoin(ErrorCode.COORDINATOR_NOT_AVAILABLE, m.memberId));
        m.sync?.({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, assignment: EMPTY_BYTES });
        m.join = undefined;
        m.sync = undefined;
      }
    }
    this.offsets.close();
  }

  private store(input: OffsetCommitInput): ErrorCodeValue {
    const offsets: PartitionOffset[] = input.topics.flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, metadata: p.committedMetadata })),
    );
    const code = this.offsets.checkCommit(input.groupId, offsets);
    if (code === ErrorCode.NONE) this.offsets.commit(input.groupId, offsets);
    return code;
  }

  /** Parks the member's join and makes sure a join phase is running. */
  private parkJoin(group: Group, member: Member, isNew: boolean): Promise<JoinGroupResult> {
    const now = this.clock.nowMs();
    const parked = new Promise<JoinGroupResult>((resolve) => {
      // A second join from the same member (another socket) replaces the first; the first rejoins.
      member.join?.(failedJoin(ErrorCode.REBALANCE_IN_PROGRESS, member.memberId));
      member.join = resolve;
    });
    if (group.state !== 'PreparingRebalance') this.prepareRebalance(group, now);
    else if (isNew && group.fromEmpty) {
      // Kafka's initial delayed join waits a further delay for each newcomer, within the rebalance timeout.
      group.notBeforeMs = Math.min(now + this.initialDelayMs, group.deadlineMs);
    }
    this.maybeCompleteJoin(group, now);
    return parked;
  }

  private prepareRebalance(group: Group, now: number): void {
    if (group.state === 'CompletingRebalance') {
      // The assignment being synced is void: parked syncs get 27 and their members rejoin.
      for (const m of group.members.values()) {
        m.sync?.({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS, assignment: EMPTY_BYTES });
        m.sync = undefined;
      }
    }
    group.fromEmpty = group.state === 'Empty';
    group.state = 'PreparingRebalance';
    const timeoutMs = Math.max(0, ...[...group.members.values()].map((m) => m.rebalanceTimeoutMs));
    group.deadlineMs = now + timeoutMs;
    group.notBeforeMs = group.fromEmpty ? Math.min(now + this.initialDelayMs, group.deadlineMs) : now;
  }

  /** Ends the join phase when every member has rejoined (after any initial delay) or the timeout passed. */
  private maybeCompleteJoin(group: Group, now: number): void {
    if (group.state !== 'PreparingRebalance') return;
    const allJoined = [...group.members.values()].every((m) => m.join !== undefined);
    if ((allJoined && now >= group.notBeforeMs) || now >= group.deadlineMs) this.completeJoin(group, now);
  }

  private completeJoin(group: Group, now: number): void {
    // Members that did not rejoin in time are dropped (spec §6).
    for (const m of [...group.members.values()]) if (m.join === undefined) this.dropMember(group, m);
    group.generation += 1;
    if (group.members.size === 0) {
      group.state = 'Empty';
      group.protocol = null;
      group.protocolType = null;
      group.leaderId = null;
      return;
    }
    const members = [...group.members.values()];
    group.protocol = selectProtocol(members);
    if (group.leaderId === null || !group.members.has(group.leaderId)) group.leaderId = members[0]?.memberId ?? null;
    group.state = 'CompletingRebalance';
    for (const m of members) {
      const resolve = m.join;
      m.join = undefined;
      m.lastSeenMs = now;
      resolve?.(joinAnswer(group, m));
    }
  }

  private completeSync(group: Group, assignments: SyncGroupInput['assignments']): void {
    const byMember = new Map(assignments.map((a) => [a.memberId, a.assignment]));
    group.state = 'Stable';
    for (const m of group.members.values()) {
      m.assignment = byMember.get(m.memberId) ?? EMPTY_BYTES;
      const resolve = m.sync;
      m.sync = undefined;
      resolve?.({ errorCode: ErrorCode.NONE, assignment: m.assignment });
    }
  }

  /** LeaveGroup or session expiry: the group rebalances, or goes Empty when nobody is left. */
  private removeMember(group: Group, member: Member, now: number): void {
    this.dropMember(group, member);
    if (group.state === 'Stable' || group.state === 'CompletingRebalance') this.prepareRebalance(group, now);
    this.maybeCompleteJoin(group, now);
  }

  private dropMember(group: Group, member: Member): void {
    group.members.delete(member.memberId);
    member.join?.(failedJoin(ErrorCode.UNKNOWN_MEMBER_ID, member.memberId));
    member.sync?.({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID, assignment: EMPTY_BYTES });
    member.join = undefined;
    member.sync = undefined;
    if (group.leaderId === member.memberId) group.leaderId = group.members.keys().next().value ?? null;
  }

  /** Forgets an Empty group (its offsets stay) when the table is full. */
  private makeRoom(): boolean {
    if (this.groups.size < GROUPS_MAX) return true;
    for (const g of this.groups.values()) {
      if (g.members.size === 0) {
        this.groups.delete(g.groupId);
        return true;
      }
    }
    return false;
  }
}

function validId(id: string): boolean {
  return id.length > 0 && id.length <= GROUP_STRING_LENGTH_MAX;
}

/** JoinGroup v1 carries its own rebalance timeout; v0 semantics (the session timeout) when absent. */
function rebalanceTimeout(input: JoinGroupInput): number {
  const requested = input.rebalanceTimeoutMs > 0 ? input.rebalanceTimeoutMs : input.sessionTimeoutMs;
  return Math.min(requested, GROUP_REBALANCE_TIMEOUT_MS_MAX);
}

function assertNever(value: never): never {
  throw new Error(`unhandled group state ${String(value)}`);
}
