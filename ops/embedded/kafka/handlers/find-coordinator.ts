/**
 * FindCoordinator (key 10) v1: this single node coordinates every group and transactional id
 * (spec §1 table; v1 because librdkafka refuses transactional lookups below it).
 */
import { ErrorCode } from '../contracts.ts';
import {
  API_KEY,
  VERSION,
  decodeFindCoordinatorRequest,
  encodeFindCoordinatorResponse,
  type FindCoordinatorRequest,
  type FindCoordinatorResponse,
} from '../protocol/apis/find-coordinator.ts';
import { defineHandler } from './handler.ts';

/** key_type values of FindCoordinator v1. */
const KEY_TYPE_GROUP = 0;
const KEY_TYPE_TRANSACTION = 1;

export const findCoordinatorHandler = defineHandler<FindCoordinatorRequest, FindCoordinatorResponse>({
  apiKey: API_KEY,
  version: VERSION,
  name: 'FindCoordinator',
  decode: decodeFindCoordinatorRequest,
  encode: encodeFindCoordinatorResponse,
  handle(ctx, req) {
    const { host, port } = ctx.broker.advertised;
    if (req.keyType !== KEY_TYPE_GROUP && req.keyType !== KEY_TYPE_TRANSACTION) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `unknown key type ${req.keyType}`, nodeId: -1, host: '', port: -1 };
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, nodeId: 0, host, port };
  },
});
