/**
 * The group APIs (spec §6) onto the group coordinator: JoinGroup v1 and SyncGroup v0 may park
 * (their promise resolves when the rebalance phase ends; server.ts keeps other sockets going),
 * Heartbeat v0, LeaveGroup v0, OffsetCommit v2, OffsetFetch v3, DescribeGroups v0, ListGroups v0.
 */
import * as joinGroup from '../protocol/apis/join-group.ts';
import * as syncGroup from '../protocol/apis/sync-group.ts';
import * as heartbeat from '../protocol/apis/heartbeat.ts';
import * as leaveGroup from '../protocol/apis/leave-group.ts';
import * as offsetCommit from '../protocol/apis/offset-commit.ts';
import * as offsetFetch from '../protocol/apis/offset-fetch.ts';
import * as describeGroups from '../protocol/apis/describe-groups.ts';
import * as listGroups from '../protocol/apis/list-groups.ts';
import { defineHandler } from './handler.ts';

export const joinGroupHandler = defineHandler<joinGroup.JoinGroupRequest, joinGroup.JoinGroupResponse>({
  apiKey: joinGroup.API_KEY,
  version: joinGroup.VERSION,
  name: 'JoinGroup',
  decode: joinGroup.decodeJoinGroupRequest,
  encode: joinGroup.encodeJoinGroupResponse,
  handle(ctx, req) {
    return ctx.broker.groups.joinGroup({
      ...req,
      clientId: ctx.header.clientId ?? '',
      clientHost: `/${ctx.connection.remoteAddress}`,
    });
  },
});

export const syncGroupHandler = defineHandler<syncGroup.SyncGroupRequest, syncGroup.SyncGroupResponse>({
  apiKey: syncGroup.API_KEY,
  version: syncGroup.VERSION,
  name: 'SyncGroup',
  decode: syncGroup.decodeSyncGroupRequest,
  encode: syncGroup.encodeSyncGroupResponse,
  handle(ctx, req) {
    return ctx.broker.groups.syncGroup(req);
  },
});

export const heartbeatHandler = defineHandler<heartbeat.HeartbeatRequest, heartbeat.HeartbeatResponse>({
  apiKey: heartbeat.API_KEY,
  version: heartbeat.VERSION,
  name: 'Heartbeat',
  decode: heartbeat.decodeHeartbeatRequest,
  encode: heartbeat.encodeHeartbeatResponse,
  handle(ctx, req) {
    return { errorCode: ctx.broker.groups.heartbeat(req.groupId, req.generationId, req.memberId) };
  },
});

export const leaveGroupHandler = defineHandler<leaveGroup.LeaveGroupRequest, leaveGroup.LeaveGroupResponse>({
  apiKey: leaveGroup.API_KEY,
  version: leaveGroup.VERSION,
  name: 'LeaveGroup',
  decode: leaveGroup.decodeLeaveGroupRequest,
  encode: leaveGroup.encodeLeaveGroupResponse,
  handle(ctx, req) {
    return { errorCode: ctx.broker.groups.leaveGroup(req.groupId, req.memberId) };
  },
});

export const offsetCommitHandler = defineHandler<offsetCommit.OffsetCommitRequest, offsetCommit.OffsetCommitResponse>({
  apiKey: offsetCommit.API_KEY,
  version: offsetCommit.VERSION,
  name: 'OffsetCommit',
  decode: offsetCommit.decodeOffsetCommitRequest,
  encode: offsetCommit.encodeOffsetCommitResponse,
  handle(ctx, req) {
    // retention_time_ms is ignored: offsets live until their topic is deleted (spec §1 table).
    return ctx.broker.groups.commitOffsets(req);
  },
});

export const offsetFetchHandler = defineHandler<offsetFetch.OffsetFetchRequest, offsetFetch.OffsetFetchResponse>({
  apiKey: offsetFetch.API_KEY,
  version: offsetFetch.VERSION,
  name: 'OffsetFetch',
  decode: offsetFetch.decodeOffsetFetchRequest,
  encode: offsetFetch.encodeOffsetFetchResponse,
  handle(ctx, req) {
    return { throttleTimeMs: 0, ...ctx.broker.groups.fetchOffsets(req.groupId, req.topics) };
  },
});

export const describeGroupsHandler = defineHandler<describeGroups.DescribeGroupsRequest, describeGroups.DescribeGroupsResponse>({
  apiKey: describeGroups.API_KEY,
  version: describeGroups.VERSION,
  name: 'DescribeGroups',
  decode: describeGroups.decodeDescribeGroupsRequest,
  encode: describeGroups.encodeDescribeGroupsResponse,
  handle(ctx, req) {
    return { groups: ctx.broker.groups.describeGroups(req.groups) };
  },
});

export const listGroupsHandler = defineHandler<listGroups.ListGroupsRequest, listGroups.ListGroupsResponse>({
  apiKey: listGroups.API_KEY,
  version: listGroups.VERSION,
  name: 'ListGroups',
  decode: listGroups.decodeListGroupsRequest,
  encode: listGroups.encodeListGroupsResponse,
  handle(ctx) {
    return ctx.broker.groups.listGroups();
  },
});
