/**
 * Fetch (key 1) v4 (spec §5): whole stored batches from fetch_offset up to the high watermark
 * (read_uncommitted) or the last stable offset (read_committed), with the aborted transactions
 * that overlap what is returned, and a long poll that parks the request (only its own socket,
 * server.ts) until data arrives, the LSO moves, or max_wait passes.
 */
import { ErrorCode } from '../contracts.ts';
import type { Broker } from '../broker.ts';
import { FETCH_MAX_WAIT_MS_MAX, FETCH_RESPONSE_BYTES_MAX } from '../limits.ts';
import {
  API_KEY,
  VERSION,
  decodeFetchRequest,
  encodeFetchResponse,
  type FetchRequest,
  type FetchResponse,
  type FetchResponsePartition,
} from '../protocol/apis/fetch.ts';
import { defineHandler } from './handler.ts';

const READ_COMMITTED = 1;

/**
 * An error entry carries empty records, not null: Kafka sends MemoryRecords.EMPTY, and
 * librdkafka 2.0.2 rejects a MessageSetSize of -1 as a parse failure and never sees the error.
 */
function failed(partitionIndex: number, errorCode: number, highWatermark = -1, lastStableOffset = -1): FetchResponsePartition {
  return { partitionIndex, errorCode, highWatermark, lastStableOffset, abortedTransactions: null, records: Buffer.alloc(0) };
}

/** One partition's part of a fetch; `budgetBytes` is what is left of the response's max_bytes. */
function readPartition(
  broker: Broker,
  topic: string,
  partitionIndex: number,
  fetchOffset: number,
  partitionMaxBytes: number,
  readCommitted: boolean,
  budgetBytes: number,
  responseEmpty: boolean,
): FetchResponsePartition {
  const target = broker.partition(topic, partitionIndex);
  if (target === undefined) return failed(partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const { log, state } = target;
  const highWatermark = log.logEndOffset();
  const lastStableOffset = state.lastStableOffset(highWatermark);
  if (fetchOffset < log.logStartOffset() || fetchOffset > highWatermark) {
    return failed(partitionIndex, ErrorCode.OFFSET_OUT_OF_RANGE, highWatermark, lastStableOffset);
  }
  const empty: FetchResponsePartition = {
    partitionIndex,
    errorCode: ErrorCode.NONE,
    highWatermark,
    lastStableOffset,
    abortedTransactions: readCommitted ? [] : null,
    records: Buffer.alloc(0),
  };
  // KIP-74: the first batch of the response is returned whole even above the limits; after that
  // a partition whose budget is spent returns nothing this round.
  const maxBytes = Math.min(partitionMaxBytes, budgetBytes);
  if (maxBytes <= 0 && !responseEmpty) return empty;
  const limitOffset = readCommitted ? lastStableOffset : highWatermark;
  if (fetchOffset >= limitOffset) return empty;
  const read = log.read(fetchOffset, limitOffset, Math.max(maxBytes, 0));
  if (read.bytes.length === 0) return empty;
  if (!responseEmpty && read.bytes.length > budgetBytes) return empty;
  const abortedTransactions = readCommitted
    ? state.abortedRanges(fetchOffset, read.lastOffset).map((r) => ({ producerId: r.producerId, firstOffset: r.firstOffset }))
    : null;
  return { ...empty, abortedTransactions, records: read.bytes };
}

function readAll(broker: Broker, req: FetchRequest): { response: FetchResponse; bytes: number } {
  const readCommitted = req.isolationLevel === READ_COMMITTED;
  let budgetBytes = Math.min(req.maxBytes > 0 ? req.maxBytes : FETCH_RESPONSE_BYTES_MAX, FETCH_RESPONSE_BYTES_MAX);
  let bytes = 0;
  const responses = req.topics.map((t) => ({
    topic: t.topic,
    partitions: t.partitions.map((p) => {
      const part = readPartition(broker, t.topic, p.partition, p.fetchOffset, p.partitionMaxBytes, readCommitted, budgetBytes, bytes === 0);
      const size = part.records?.length ?? 0;
      bytes += size;
      budgetBytes -= size;
      return part;
    }),
  }));
  return { response: { throttleTimeMs: 0, responses }, bytes };
}

export const fetchHandler = defineHandler<FetchRequest, FetchResponse>({
  apiKey: API_KEY,
  version: VERSION,
  name: 'Fetch',
  decode: decodeFetchRequest,
  encode: encodeFetchResponse,
  async handle(ctx, req) {
    const { broker } = ctx;
    const deadline = Date.now() + Math.min(Math.max(req.maxWaitMs, 0), FETCH_MAX_WAIT_MS_MAX);
    const minBytes = Math.max(req.minBytes, 1);
    const partitions = req.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, partition: p.partition })));
    for (;;) {
      const { response, bytes } = readAll(broker, req);
      const left = deadline - Date.now();
      const anyError = response.responses.some((t) => t.partitions.some((p) => p.errorCode !== ErrorCode.NONE));
      // Answer at once with data or an error; otherwise wait for an append or an LSO move (spec §5).
      if (bytes >= minBytes || anyError || left <= 0 || broker.closing) return response;
      await broker.waiters.waitForChange(partitions, left);
    }
  },
});
