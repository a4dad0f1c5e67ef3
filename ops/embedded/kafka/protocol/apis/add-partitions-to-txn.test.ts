import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader, Writer } from '../primitives.ts';
import { assertEveryTruncationRejected, assertProtocolError, cat, count, i16, i32, i64, str } from '../test-bytes.ts';
import {
  type AddPartitionsToTxnRequest,
  type AddPartitionsToTxnResponse,
  decodeAddPartitionsToTxnRequest,
  decodeAddPartitionsToTxnResponse,
  encodeAddPartitionsToTxnRequest,
  encodeAddPartitionsToTxnResponse,
} from './add-partitions-to-txn.ts';

const requestBytes = cat(
  str('payments-txn'), // transactional_id
  i64(1001), // producer_id
  i16(0), // producer_epoch
  count(1), // topics
  str('payments'), // name
  count(2), i32(0), i32(2), // partitions [0, 2]
);

const request: AddPartitionsToTxnRequest = {
  v3AndBelowTransactionalId: 'payments-txn',
  v3AndBelowProducerId: 1001,
  v3AndBelowProducerEpoch: 0,
  v3AndBelowTopics: [{ name: 'payments', partitions: [0, 2] }],
};

const response: AddPartitionsToTxnResponse = {
  throttleTimeMs: 0,
  resultsByTopicV3AndBelow: [
    {
      name: 'payments',
      resultsByPartition: [
        { partitionIndex: 0, partitionErrorCode: 0 },
        { partitionIndex: 2, partitionErrorCode: 55 },
      ],
    },
  ],
};

const responseBytes = cat(
  i32(0), // throttle_time_ms
  count(1), // results by topic
  str('payments'), // name
  count(2), // results by partition
  i32(0), i16(0), // partition_index, error_code
  i32(2), i16(55), // OPERATION_NOT_ATTEMPTED
);

test('add partitions to txn v0 request decodes the producer and its partitions', () => {
  const r = new Reader(requestBytes);
  assert.deepEqual(decodeAddPartitionsToTxnRequest(r), request);
  r.expectEnd();
});

test('add partitions to txn v0 response encodes an error per partition', () => {
  const w = new Writer();
  encodeAddPartitionsToTxnResponse(w, response);
  assert.deepEqual(w.finish(), responseBytes);
});

test('add partitions to txn v0 request and response round-trip', () => {
  const w = new Writer();
  encodeAddPartitionsToTxnRequest(w, request);
  assert.deepEqual(w.finish(), requestBytes);
  assert.deepEqual(decodeAddPartitionsToTxnResponse(new Reader(responseBytes)), response);
});

test('add partitions to txn v0 decoders reject truncated and garbage input', () => {
  assertEveryTruncationRejected(requestBytes, decodeAddPartitionsToTxnRequest);
  assertEveryTruncationRejected(responseBytes, decodeAddPartitionsToTxnResponse);
  assertProtocolError(() => decodeAddPartitionsToTxnRequest(new Reader(cat(str(null), i64(0), i16(0), count(0)))), 'unexpected_null');
});
