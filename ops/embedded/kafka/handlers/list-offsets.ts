/**
 * ListOffsets (key 2) v2 (spec §5): -2 is the log start, -1 the high watermark (or the LSO under
 * read_committed, why v2 is the floor), and a timestamp the first offset of the first batch whose
 * maxTimestamp reaches it. The answered timestamp is -1, as the spec allows.
 */
import { ErrorCode } from '../contracts.ts';
import {
  API_KEY,
  VERSION,
  decodeListOffsetsRequest,
  encodeListOffsetsResponse,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
  type ListOffsetsResponsePartition,
} from '../protocol/apis/list-offsets.ts';
import type { Broker } from '../broker.ts';
import { defineHandler } from './handler.ts';

const LATEST = -1;
const EARLIEST = -2;
const READ_COMMITTED = 1;

function listPartition(broker: Broker, topic: string, partitionIndex: number, timestamp: number, readCommitted: boolean): ListOffsetsResponsePartition {
  const target = broker.partition(topic, partitionIndex);
  if (target === undefined) return { partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, timestamp: -1, offset: -1 };
  const { log, state } = target;
  let offset: number;
  if (timestamp === EARLIEST) offset = log.logStartOffset();
  else if (timestamp === LATEST) offset = readCommitted ? state.lastStableOffset(log.logEndOffset()) : log.logEndOffset();
  else if (timestamp >= 0) offset = log.offsetForTimestamp(timestamp);
  else return { partitionIndex, errorCode: ErrorCode.INVALID_REQUEST, timestamp: -1, offset: -1 };
  return { partitionIndex, errorCode: ErrorCode.NONE, timestamp: -1, offset };
}

export const listOffsetsHandler = defineHandler<ListOffsetsRequest, ListOffsetsResponse>({
  apiKey: API_KEY,
  version: VERSION,
  name: 'ListOffsets',
  decode: decodeListOffsetsRequest,
  encode: encodeListOffsetsResponse,
  handle(ctx, req) {
    const readCommitted = req.isolationLevel === READ_COMMITTED;
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => listPartition(ctx.broker, t.name, p.partitionIndex, p.timestamp, readCommitted)),
      })),
    };
  },
});
