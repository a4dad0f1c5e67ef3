import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader, Writer } from '../primitives.ts';
import { assertEveryTruncationRejected, assertProtocolError, byt, cat, count, i16, i32, str } from '../test-bytes.ts';
import {
  type JoinGroupRequest,
  type JoinGroupResponse,
  decodeJoinGroupRequest,
  decodeJoinGroupResponse,
  encodeJoinGroupRequest,
  encodeJoinGroupResponse,
} from './join-group.ts';

const rangeMeta = Buffer.from('0000000000010001', 'hex');
const rrMeta = Buffer.from('00000000', 'hex');

const requestBytes = cat(
  str('settlement'), // group_id
  i32(45000), // session_timeout_ms
  i32(300000), // rebalance_timeout_ms
  str(''), // member_id: first join
  str('consumer'), // protocol_type
  count(2), // protocols
  str('range'), byt(rangeMeta), // name, metadata
  str('roundrobin'), byt(rrMeta),
);

const request: JoinGroupRequest = {
  groupId: 'settlement',
  sessionTimeoutMs: 45000,
  rebalanceTimeoutMs: 300000,
  memberId: '',
  protocolType: 'consumer',
  protocols: [
    { name: 'range', metadata: rangeMeta },
    { name: 'roundrobin', metadata: rrMeta },
  ],
};

const response: JoinGroupResponse = {
  errorCode: 0,
  generationId: 1,
  protocolName: 'range',
  leader: 'rdkafka-1',
  memberId: 'rdkafka-1',
  members: [{ memberId: 'rdkafka-1', metadata: rangeMeta }],
};

const responseBytes = cat(
  i16(0), // error_code (no throttle time at v1)
  i32(1), // generation_id
  str('range'), // protocol_name
  str('rdkafka-1'), // leader
  str('rdkafka-1'), // member_id
  count(1), // members: the leader sees them
  str('rdkafka-1'), byt(rangeMeta), // member_id, metadata
);

test('join group v1 request decodes timeouts, protocol type and protocols', () => {
  const r = new Reader(requestBytes);
  assert.deepEqual(decodeJoinGroupRequest(r), request);
  r.expectEnd();
});

test('join group v1 response encodes generation, protocol, leader and members', () => {
  const w = new Writer();
  encodeJoinGroupResponse(w, response);
  assert.deepEqual(w.finish(), responseBytes);
});

test('join group v1 request and response round-trip', () => {
  const w = new Writer();
  encodeJoinGroupRequest(w, request);
  assert.deepEqual(w.finish(), requestBytes);
  assert.deepEqual(decodeJoinGroupResponse(new Reader(responseBytes)), response);
});

test('join group v1 decoders reject truncated and garbage input', () => {
  assertEveryTruncationRejected(requestBytes, decodeJoinGroupRequest);
  assertEveryTruncationRejected(responseBytes, decodeJoinGroupResponse);
  const nullMetadata = cat(str('g'), i32(1), i32(1), str(''), str('consumer'), count(1), str('range'), byt(null));
  assertProtocolError(() => decodeJoinGroupRequest(new Reader(nullMetadata)), 'unexpected_null');
});
