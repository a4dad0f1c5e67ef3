/**
 * The transaction APIs (spec §7) onto the synchronous transaction coordinator:
 * InitProducerId v0, AddPartitionsToTxn v0, AddOffsetsToTxn v0, EndTxn v0, TxnOffsetCommit v0.
 * Markers are written through the broker (MarkerWriter), which also wakes parked fetches.
 */
import type { ErrorCodeValue } from '../contracts.ts';
import type { Broker } from '../broker.ts';
import * as initProducerId from '../protocol/apis/init-producer-id.ts';
import * as addPartitionsToTxn from '../protocol/apis/add-partitions-to-txn.ts';
import * as addOffsetsToTxn from '../protocol/apis/add-offsets-to-txn.ts';
import * as endTxn from '../protocol/apis/end-txn.ts';
import * as txnOffsetCommit from '../protocol/apis/txn-offset-commit.ts';
import { defineHandler } from './handler.ts';

export const initProducerIdHandler = defineHandler<initProducerId.InitProducerIdRequest, initProducerId.InitProducerIdResponse>({
  apiKey: initProducerId.API_KEY,
  version: initProducerId.VERSION,
  name: 'InitProducerId',
  decode: initProducerId.decodeInitProducerIdRequest,
  encode: initProducerId.encodeInitProducerIdResponse,
  handle(ctx, req) {
    const result = ctx.broker.transactions.initProducerId(req.transactionalId, req.transactionTimeoutMs);
    return { throttleTimeMs: 0, ...result };
  },
});

export const addPartitionsToTxnHandler = defineHandler<addPartitionsToTxn.AddPartitionsToTxnRequest, addPartitionsToTxn.AddPartitionsToTxnResponse>({
  apiKey: addPartitionsToTxn.API_KEY,
  version: addPartitionsToTxn.VERSION,
  name: 'AddPartitionsToTxn',
  decode: addPartitionsToTxn.decodeAddPartitionsToTxnRequest,
  encode: addPartitionsToTxn.encodeAddPartitionsToTxnResponse,
  handle(ctx, req) {
    const results = ctx.broker.transactions.addPartitions(
      req.v3AndBelowTransactionalId,
      req.v3AndBelowProducerId,
      req.v3AndBelowProducerEpoch,
      req.v3AndBelowTopics.map((t) => ({ topic: t.name, partitions: t.partitions })),
    );
    return {
      throttleTimeMs: 0,
      resultsByTopicV3AndBelow: results.map((t) => ({
        name: t.topic,
        resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p.partition, partitionErrorCode: p.errorCode })),
      })),
    };
  },
});

export const addOffsetsToTxnHandler = defineHandler<addOffsetsToTxn.AddOffsetsToTxnRequest, addOffsetsToTxn.AddOffsetsToTxnResponse>({
  apiKey: addOffsetsToTxn.API_KEY,
  version: addOffsetsToTxn.VERSION,
  name: 'AddOffsetsToTxn',
  decode: addOffsetsToTxn.decodeAddOffsetsToTxnRequest,
  encode: addOffsetsToTxn.encodeAddOffsetsToTxnResponse,
  handle(ctx, req) {
    const errorCode = ctx.broker.transactions.addOffsets(req.transactionalId, req.producerId, req.producerEpoch, req.groupId);
    return { throttleTimeMs: 0, errorCode };
  },
});

export const endTxnHandler = defineHandler<endTxn.EndTxnRequest, endTxn.EndTxnResponse>({
  apiKey: endTxn.API_KEY,
  version: endTxn.VERSION,
  name: 'EndTxn',
  decode: endTxn.decodeEndTxnRequest,
  encode: endTxn.encodeEndTxnResponse,
  handle(ctx, req) {
    const errorCode = ctx.broker.transactions.endTxn(req.transactionalId, req.producerId, req.producerEpoch, req.committed);
    return { throttleTimeMs: 0, errorCode };
  },
});

export const txnOffsetCommitHandler = defineHandler<txnOffsetCommit.TxnOffsetCommitRequest, txnOffsetCommit.TxnOffsetCommitResponse>({
  apiKey: txnOffsetCommit.API_KEY,
  version: txnOffsetCommit.VERSION,
  name: 'TxnOffsetCommit',
  decode: txnOffsetCommit.decodeTxnOffsetCommitRequest,
  encode: txnOffsetCommit.encodeTxnOffsetCommitResponse,
  handle(ctx, req) {
    const offsets = req.topics.flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, metadata: p.committedMetadata })),
    );
    // The coordinator answers for the whole request (spec §7: no member or generation check at v0).
    const errorCode = ctx.broker.transactions.txnOffsetCommit(req.transactionalId, req.groupId, req.producerId, req.producerEpoch, offsets);
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })),
    };
  },
});

/**
 * Whether a transactional batch may be appended (spec §7): its transactional id must name this
 * producer at this epoch, with the transaction Ongoing and the partition added to it.
 */
export function checkTransactionalProduce(broker: Broker, transactionalId: string | null, producerId: number, producerEpoch: number, topic: string, partition: number): ErrorCodeValue {
  // The coordinator owns the rule; it checks its live state without copying the transaction.
  return broker.transactions.checkProduce(transactionalId, producerId, producerEpoch, topic, partition);
}
