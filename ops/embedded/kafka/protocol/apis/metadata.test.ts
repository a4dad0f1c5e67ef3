import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader, Writer } from '../primitives.ts';
import { assertEveryTruncationRejected, assertProtocolError, bool, cat, count, i16, i32, str } from '../test-bytes.ts';
import {
  type MetadataRequest,
  type MetadataResponse,
  decodeMetadataRequest,
  decodeMetadataResponse,
  encodeMetadataRequest,
  encodeMetadataResponse,
} from './metadata.ts';

const requestBytes = cat(
  count(2), // topics
  str('payments'),
  str('refunds'),
  bool(true), // allow_auto_topic_creation
);

const response: MetadataResponse = {
  throttleTimeMs: 0,
  brokers: [{ nodeId: 0, host: 'localhost', port: 9092, rack: null }],
  clusterId: 'paystream',
  controllerId: 0,
  topics: [
    {
      errorCode: 0,
      name: 'payments',
      isInternal: false,
      partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 0, replicaNodes: [0], isrNodes: [0] }],
    },
    { errorCode: 3, name: 'missing', isInternal: false, partitions: [] },
  ],
};

const responseBytes = cat(
  i32(0), // throttle_time_ms
  count(1), // brokers
  i32(0), str('localhost'), i32(9092), str(null), // node_id, host, port, rack
  str('paystream'), // cluster_id
  i32(0), // controller_id
  count(2), // topics
  i16(0), str('payments'), bool(false), // error_code, name, is_internal
  count(1), // partitions
  i16(0), i32(0), i32(0), // error_code, partition_index, leader_id
  count(1), i32(0), // replica_nodes [0]
  count(1), i32(0), // isr_nodes [0]
  i16(3), str('missing'), bool(false), count(0), // unknown topic, no partitions
);

const encodeResponse = (res: MetadataResponse): Buffer => {
  const w = new Writer();
  encodeMetadataResponse(w, res);
  return w.finish();
};

test('metadata v4 request decodes topics and the auto-create flag', () => {
  const r = new Reader(requestBytes);
  assert.deepEqual(decodeMetadataRequest(r), { topics: [{ name: 'payments' }, { name: 'refunds' }], allowAutoTopicCreation: true });
  r.expectEnd();
});

test('metadata v4 request keeps null topics (all) apart from an empty list (none)', () => {
  assert.equal(decodeMetadataRequest(new Reader(cat(count(-1), bool(false)))).topics, null);
  assert.deepEqual(decodeMetadataRequest(new Reader(cat(count(0), bool(false)))).topics, []);
});

test('metadata v4 response encodes brokers, controller and topics field by field', () => {
  assert.deepEqual(encodeResponse(response), responseBytes);
});

test('metadata v4 request and response round-trip', () => {
  const req: MetadataRequest = { topics: null, allowAutoTopicCreation: false };
  const w = new Writer();
  encodeMetadataRequest(w, req);
  assert.deepEqual(decodeMetadataRequest(new Reader(w.finish())), req);
  assert.deepEqual(decodeMetadataResponse(new Reader(responseBytes)), response);
});

test('metadata v4 decoders reject truncated and garbage input', () => {
  assertEveryTruncationRejected(requestBytes, decodeMetadataRequest);
  assertEveryTruncationRejected(responseBytes, decodeMetadataResponse);
  assertProtocolError(() => decodeMetadataRequest(new Reader(cat(count(0x7fffffff), bool(true)))), 'invalid_length');
  assertProtocolError(() => decodeMetadataRequest(new Reader(cat(count(1), i16(-1), bool(true)))), 'unexpected_null');
  assertProtocolError(() => decodeMetadataRequest(new Reader(cat(count(0), Buffer.from([7])))), 'invalid_boolean');
});
