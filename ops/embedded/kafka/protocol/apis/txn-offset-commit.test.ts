import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader, Writer } from '../primitives.ts';
import { assertEveryTruncationRejected, assertProtocolError, cat, count, i16, i32, i64, str } from '../test-bytes.ts';
import {
  type TxnOffsetCommitRequest,
  type TxnOffsetCommitResponse,
  decodeTxnOffsetCommitRequest,
  decodeTxnOffsetCommitResponse,
  encodeTxnOffsetCommitRequest,
  encodeTxnOffsetCommitResponse,
} from './txn-offset-commit.ts';

const requestBytes = cat(
  str('payments-txn'), // transactional_id
  str('settlement'), // group_id
  i64(1001), // producer_id
  i16(0), // producer_epoch
  count(1), // topics
  str('payments'),
  count(1), // partitions
  i32(0), i64(43), str(null), // partition_index, committed_offset, committed_metadata
);

const request: TxnOffsetCommitRequest = {
  transactionalId: 'payments-txn',
  groupId: 'settlement',
  producerId: 1001,
  producerEpoch: 0,
  topics: [{ name: 'payments', partitions: [{ partitionIndex: 0, committedOffset: 43, committedMetadata: null }] }],
};

const response: TxnOffsetCommitResponse = {
  throttleTimeMs: 0,
  topics: [{ name: 'payments', partitions: [{ partitionIndex: 0, errorCode: 0 }] }],
};

const responseBytes = cat(
  i32(0), // throttle_time_ms
  count(1), // topics
  str('payments'),
  count(1), // partitions
  i32(0), i16(0), // partition_index, error_code
);

test('txn offset commit v0 request decodes the producer and the staged offsets', () => {
  const r = new Reader(requestBytes);
  assert.deepEqual(decodeTxnOffsetCommitRequest(r), request);
  r.expectEnd();
});

test('txn offset commit v0 response encodes an error per partition', () => {
  const w = new Writer();
  encodeTxnOffsetCommitResponse(w, response);
  assert.deepEqual(w.finish(), responseBytes);
});

test('txn offset commit v0 request and response round-trip', () => {
  const w = new Writer();
  encodeTxnOffsetCommitRequest(w, request);
  assert.deepEqual(w.finish(), requestBytes);
  assert.deepEqual(decodeTxnOffsetCommitResponse(new Reader(responseBytes)), response);
});

test('txn offset commit v0 decoders reject truncated and garbage input', () => {
  assertEveryTruncationRejected(requestBytes, decodeTxnOffsetCommitRequest);
  assertEveryTruncationRejected(responseBytes, decodeTxnOffsetCommitResponse);
  assertProtocolError(() => decodeTxnOffsetCommitRequest(new Reader(cat(str('t'), str('g'), i64(1), i16(0), count(0x01000000)))), 'invalid_length');
});
