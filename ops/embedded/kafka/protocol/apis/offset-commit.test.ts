import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader, Writer } from '../primitives.ts';
import { assertEveryTruncationRejected, assertProtocolError, cat, count, i16, i32, i64, str } from '../test-bytes.ts';
import {
  type OffsetCommitRequest,
  type OffsetCommitResponse,
  decodeOffsetCommitRequest,
  decodeOffsetCommitResponse,
  encodeOffsetCommitRequest,
  encodeOffsetCommitResponse,
} from './offset-commit.ts';

const requestBytes = cat(
  str('settlement'), // group_id
  i32(3), // generation_id
  str('consumer-1-abc'), // member_id
  i64(-1), // retention_time_ms
  count(1), // topics
  str('payments'),
  count(2), // partitions
  i32(0), i64(-2), str(null), // partition_index, committed_offset (kafkajs reset: -2), committed_metadata
  i32(1), i64(99), str(''),
);

const request: OffsetCommitRequest = {
  groupId: 'settlement',
  generationId: 3,
  memberId: 'consumer-1-abc',
  retentionTimeMs: -1,
  topics: [
    {
      name: 'payments',
      partitions: [
        { partitionIndex: 0, committedOffset: -2, committedMetadata: null },
        { partitionIndex: 1, committedOffset: 99, committedMetadata: '' },
      ],
    },
  ],
};

const response: OffsetCommitResponse = {
  topics: [{ name: 'payments', partitions: [{ partitionIndex: 0, errorCode: 0 }, { partitionIndex: 1, errorCode: 27 }] }],
};

const responseBytes = cat(
  count(1), // topics (no throttle time at v2)
  str('payments'),
  count(2), // partitions
  i32(0), i16(0), // partition_index, error_code
  i32(1), i16(27), // REBALANCE_IN_PROGRESS
);

test('offset commit v2 request decodes negative offsets verbatim', () => {
  const r = new Reader(requestBytes);
  assert.deepEqual(decodeOffsetCommitRequest(r), request);
  r.expectEnd();
});

test('offset commit v2 response encodes per-partition errors without a throttle time', () => {
  const w = new Writer();
  encodeOffsetCommitResponse(w, response);
  assert.deepEqual(w.finish(), responseBytes);
});

test('offset commit v2 request and response round-trip', () => {
  const w = new Writer();
  encodeOffsetCommitRequest(w, request);
  assert.deepEqual(w.finish(), requestBytes);
  assert.deepEqual(decodeOffsetCommitResponse(new Reader(responseBytes)), response);
});

test('offset commit v2 decoders reject truncated and garbage input', () => {
  assertEveryTruncationRejected(requestBytes, decodeOffsetCommitRequest);
  assertEveryTruncationRejected(responseBytes, decodeOffsetCommitResponse);
  assertProtocolError(() => decodeOffsetCommitRequest(new Reader(cat(str('g'), i32(0), str(null)))), 'unexpected_null');
});
