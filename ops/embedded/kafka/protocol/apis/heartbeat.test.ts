import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader, Writer } from '../primitives.ts';
import { assertEveryTruncationRejected, cat, i16, i32, str } from '../test-bytes.ts';
import { decodeHeartbeatRequest, decodeHeartbeatResponse, encodeHeartbeatRequest, encodeHeartbeatResponse } from './heartbeat.ts';

const requestBytes = cat(
  str('settlement'), // group_id
  i32(2), // generation_id
  str('m-1'), // member_id
);

test('heartbeat v0 request decodes group, generation and member', () => {
  const r = new Reader(requestBytes);
  assert.deepEqual(decodeHeartbeatRequest(r), { groupId: 'settlement', generationId: 2, memberId: 'm-1' });
  r.expectEnd();
});

test('heartbeat v0 response is only the error code', () => {
  const w = new Writer();
  encodeHeartbeatResponse(w, { errorCode: 27 });
  assert.deepEqual(w.finish(), i16(27) /* REBALANCE_IN_PROGRESS */);
});

test('heartbeat v0 request and response round-trip', () => {
  const w = new Writer();
  encodeHeartbeatRequest(w, { groupId: 'settlement', generationId: 2, memberId: 'm-1' });
  assert.deepEqual(w.finish(), requestBytes);
  assert.deepEqual(decodeHeartbeatResponse(new Reader(i16(25))), { errorCode: 25 });
});

test('heartbeat v0 decoders reject truncated input', () => {
  assertEveryTruncationRejected(requestBytes, decodeHeartbeatRequest);
  assertEveryTruncationRejected(i16(0), decodeHeartbeatResponse);
});
