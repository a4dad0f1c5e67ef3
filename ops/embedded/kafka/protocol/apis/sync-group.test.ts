import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader, Writer } from '../primitives.ts';
import { assertEveryTruncationRejected, assertProtocolError, byt, cat, count, i16, i32, str } from '../test-bytes.ts';
import {
  type SyncGroupRequest,
  decodeSyncGroupRequest,
  decodeSyncGroupResponse,
  encodeSyncGroupRequest,
  encodeSyncGroupResponse,
} from './sync-group.ts';

const assignment = Buffer.from('000000000001000870617965656e7473', 'hex');

const requestBytes = cat(
  str('settlement'), // group_id
  i32(1), // generation_id
  str('m-1'), // member_id
  count(2), // assignments (leader)
  str('m-1'), byt(assignment), // member_id, assignment
  str('m-2'), byt(Buffer.alloc(0)), // an empty assignment
);

const request: SyncGroupRequest = {
  groupId: 'settlement',
  generationId: 1,
  memberId: 'm-1',
  assignments: [
    { memberId: 'm-1', assignment },
    { memberId: 'm-2', assignment: Buffer.alloc(0) },
  ],
};

const responseBytes = cat(
  i16(0), // error_code
  byt(assignment), // assignment
);

test('sync group v0 request decodes the leader assignments', () => {
  const r = new Reader(requestBytes);
  assert.deepEqual(decodeSyncGroupRequest(r), request);
  r.expectEnd();
});

test('sync group v0 response encodes the error code and the member assignment', () => {
  const w = new Writer();
  encodeSyncGroupResponse(w, { errorCode: 0, assignment });
  assert.deepEqual(w.finish(), responseBytes);
});

test('sync group v0 request and response round-trip', () => {
  const w = new Writer();
  encodeSyncGroupRequest(w, request);
  assert.deepEqual(w.finish(), requestBytes);
  assert.deepEqual(decodeSyncGroupResponse(new Reader(responseBytes)), { errorCode: 0, assignment });
});

test('sync group v0 decoders reject truncated and garbage input', () => {
  assertEveryTruncationRejected(requestBytes, decodeSyncGroupRequest);
  assertEveryTruncationRejected(responseBytes, decodeSyncGroupResponse);
  assertProtocolError(() => decodeSyncGroupResponse(new Reader(cat(i16(0), i32(-1)))), 'unexpected_null');
});
