import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader, Writer } from '../primitives.ts';
import { assertEveryTruncationRejected, assertProtocolError, cat, i16, str } from '../test-bytes.ts';
import { decodeLeaveGroupRequest, decodeLeaveGroupResponse, encodeLeaveGroupRequest, encodeLeaveGroupResponse } from './leave-group.ts';

const requestBytes = cat(
  str('settlement'), // group_id
  str('m-1'), // member_id
);

test('leave group v0 request decodes group and member', () => {
  const r = new Reader(requestBytes);
  assert.deepEqual(decodeLeaveGroupRequest(r), { groupId: 'settlement', memberId: 'm-1' });
  r.expectEnd();
});

test('leave group v0 response is only the error code', () => {
  const w = new Writer();
  encodeLeaveGroupResponse(w, { errorCode: 25 });
  assert.deepEqual(w.finish(), i16(25) /* UNKNOWN_MEMBER_ID */);
});

test('leave group v0 request and response round-trip', () => {
  const w = new Writer();
  encodeLeaveGroupRequest(w, { groupId: 'settlement', memberId: 'm-1' });
  assert.deepEqual(w.finish(), requestBytes);
  assert.deepEqual(decodeLeaveGroupResponse(new Reader(i16(0))), { errorCode: 0 });
});

test('leave group v0 decoders reject truncated and garbage input', () => {
  assertEveryTruncationRejected(requestBytes, decodeLeaveGroupRequest);
  assertProtocolError(() => decodeLeaveGroupRequest(new Reader(cat(str('g'), i16(-3)))), 'invalid_length');
});
