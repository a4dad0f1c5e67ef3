/** Every API handler, one per advertised api key (protocol/apis/index.ts holds the version table). */
import type { ApiHandler } from './handler.ts';
import { apiVersionsHandler } from './api-versions.ts';
import { fetchHandler } from './fetch.ts';
import { findCoordinatorHandler } from './find-coordinator.ts';
import { listOffsetsHandler } from './list-offsets.ts';
import { metadataHandler } from './metadata.ts';
import { produceHandler } from './produce.ts';
import {
  describeGroupsHandler,
  heartbeatHandler,
  joinGroupHandler,
  leaveGroupHandler,
  listGroupsHandler,
  offsetCommitHandler,
  offsetFetchHandler,
  syncGroupHandler,
} from './groups.ts';
import { createTopicsHandler, deleteTopicsHandler } from './topics.ts';
import {
  addOffsetsToTxnHandler,
  addPartitionsToTxnHandler,
  endTxnHandler,
  initProducerIdHandler,
  txnOffsetCommitHandler,
} from './transactions.ts';

export const handlers: readonly ApiHandler[] = [
  produceHandler,
  fetchHandler,
  listOffsetsHandler,
  metadataHandler,
  offsetCommitHandler,
  offsetFetchHandler,
  findCoordinatorHandler,
  joinGroupHandler,
  heartbeatHandler,
  leaveGroupHandler,
  syncGroupHandler,
  describeGroupsHandler,
  listGroupsHandler,
  apiVersionsHandler,
  createTopicsHandler,
  deleteTopicsHandler,
  initProducerIdHandler,
  addPartitionsToTxnHandler,
  addOffsetsToTxnHandler,
  endTxnHandler,
  txnOffsetCommitHandler,
];
