import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader, Writer } from '../primitives.ts';
import { assertEveryTruncationRejected, assertProtocolError, cat, count, i16, str } from '../test-bytes.ts';
import { decodeListGroupsRequest, decodeListGroupsResponse, encodeListGroupsRequest, encodeListGroupsResponse } from './list-groups.ts';

const responseBytes = cat(
  i16(0), // error_code (no throttle time at v0)
  count(1), // groups
  str('settlement'), str('consumer'), // group_id, protocol_type
);

test('list groups v0 request has an empty body', () => {
  const r = new Reader(Buffer.alloc(0));
  assert.deepEqual(decodeListGroupsRequest(r), {});
  const w = new Writer();
  encodeListGroupsRequest(w, {});
  assert.equal(w.length, 0);
});

test('list groups v0 response encodes the error code and the groups', () => {
  const w = new Writer();
  encodeListGroupsResponse(w, { errorCode: 0, groups: [{ groupId: 'settlement', protocolType: 'consumer' }] });
  assert.deepEqual(w.finish(), responseBytes);
});

test('list groups v0 response round-trips', () => {
  assert.deepEqual(decodeListGroupsResponse(new Reader(responseBytes)), { errorCode: 0, groups: [{ groupId: 'settlement', protocolType: 'consumer' }] });
});

test('list groups v0 decoder rejects truncated and garbage input', () => {
  assertEveryTruncationRejected(responseBytes, decodeListGroupsResponse);
  assertProtocolError(() => decodeListGroupsResponse(new Reader(cat(i16(0), count(-1)))), 'unexpected_null');
});
