import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader, Writer } from '../primitives.ts';
import { assertEveryTruncationRejected, assertProtocolError, cat, count, i16, i32, str } from '../test-bytes.ts';
import {
  type CreateTopicsRequest,
  decodeCreateTopicsRequest,
  decodeCreateTopicsResponse,
  encodeCreateTopicsRequest,
  encodeCreateTopicsResponse,
} from './create-topics.ts';

const requestBytes = cat(
  count(2), // topics
  str('payments'), i32(3), i16(1), // name, num_partitions, replication_factor
  count(0), // assignments
  count(2), // configs
  str('cleanup.policy'), str('compact'), // name, value
  str('retention.ms'), str(null), // a null value
  str('refunds'), i32(-1), i16(-1), // broker defaults
  count(1), i32(0), count(1), i32(0), // assignments [{partition_index 0, broker_ids [0]}]
  count(0), // configs
  i32(30000), // timeout_ms
);

const request: CreateTopicsRequest = {
  topics: [
    {
      name: 'payments',
      numPartitions: 3,
      replicationFactor: 1,
      assignments: [],
      configs: [
        { name: 'cleanup.policy', value: 'compact' },
        { name: 'retention.ms', value: null },
      ],
    },
    { name: 'refunds', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [0] }], configs: [] },
  ],
  timeoutMs: 30000,
};

const responseBytes = cat(
  count(2), // topics (no throttle time at v0)
  str('payments'), i16(0), // name, error_code
  str('refunds'), i16(36), // TOPIC_ALREADY_EXISTS
);

test('create topics v0 request decodes partitions, assignments and configs', () => {
  const r = new Reader(requestBytes);
  assert.deepEqual(decodeCreateTopicsRequest(r), request);
  r.expectEnd();
});

test('create topics v0 response encodes an error code per topic', () => {
  const w = new Writer();
  encodeCreateTopicsResponse(w, { topics: [{ name: 'payments', errorCode: 0 }, { name: 'refunds', errorCode: 36 }] });
  assert.deepEqual(w.finish(), responseBytes);
});

test('create topics v0 request and response round-trip', () => {
  const w = new Writer();
  encodeCreateTopicsRequest(w, request);
  assert.deepEqual(w.finish(), requestBytes);
  assert.deepEqual(decodeCreateTopicsResponse(new Reader(responseBytes)), {
    topics: [{ name: 'payments', errorCode: 0 }, { name: 'refunds', errorCode: 36 }],
  });
});

test('create topics v0 decoders reject truncated and garbage input', () => {
  assertEveryTruncationRejected(requestBytes, decodeCreateTopicsRequest);
  assertEveryTruncationRejected(responseBytes, decodeCreateTopicsResponse);
  assertProtocolError(() => decodeCreateTopicsRequest(new Reader(cat(count(1), str('t'), i32(1), i16(1), count(100), i32(0)))), 'invalid_length');
});
