import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader, Writer } from '../primitives.ts';
import { assertEveryTruncationRejected, assertProtocolError, byt, cat, count, i16, str } from '../test-bytes.ts';
import {
  type DescribeGroupsResponse,
  decodeDescribeGroupsRequest,
  decodeDescribeGroupsResponse,
  encodeDescribeGroupsRequest,
  encodeDescribeGroupsResponse,
} from './describe-groups.ts';

const requestBytes = cat(
  count(2), // groups
  str('settlement'),
  str('unknown'),
);

const meta = Buffer.from([0, 1]);
const assignment = Buffer.from([0, 2]);

const response: DescribeGroupsResponse = {
  groups: [
    {
      errorCode: 0,
      groupId: 'settlement',
      groupState: 'Stable',
      protocolType: 'consumer',
      protocolData: 'RoundRobinAssigner',
      members: [{ memberId: 'm-1', clientId: 'kafkajs', clientHost: '/127.0.0.1', memberMetadata: meta, memberAssignment: assignment }],
    },
    { errorCode: 0, groupId: 'unknown', groupState: 'Dead', protocolType: '', protocolData: '', members: [] },
  ],
};

const responseBytes = cat(
  count(2), // groups (no throttle time at v0)
  i16(0), str('settlement'), str('Stable'), str('consumer'), str('RoundRobinAssigner'), // error_code, group_id, group_state, protocol_type, protocol_data
  count(1), // members
  str('m-1'), str('kafkajs'), str('/127.0.0.1'), byt(meta), byt(assignment), // member_id, client_id, client_host, member_metadata, member_assignment
  i16(0), str('unknown'), str('Dead'), str(''), str(''), count(0), // an unknown group is Dead with error 0
);

test('describe groups v0 request decodes the group ids', () => {
  const r = new Reader(requestBytes);
  assert.deepEqual(decodeDescribeGroupsRequest(r), { groups: ['settlement', 'unknown'] });
  r.expectEnd();
});

test('describe groups v0 response encodes state, protocol and members', () => {
  const w = new Writer();
  encodeDescribeGroupsResponse(w, response);
  assert.deepEqual(w.finish(), responseBytes);
});

test('describe groups v0 request and response round-trip', () => {
  const w = new Writer();
  encodeDescribeGroupsRequest(w, { groups: ['settlement', 'unknown'] });
  assert.deepEqual(w.finish(), requestBytes);
  assert.deepEqual(decodeDescribeGroupsResponse(new Reader(responseBytes)), response);
});

test('describe groups v0 decoders reject truncated and garbage input', () => {
  assertEveryTruncationRejected(requestBytes, decodeDescribeGroupsRequest);
  assertEveryTruncationRejected(responseBytes, decodeDescribeGroupsResponse);
  assertProtocolError(() => decodeDescribeGroupsRequest(new Reader(cat(count(1), i16(-1)))), 'unexpected_null');
});
