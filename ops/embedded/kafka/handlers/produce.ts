/**
 * Produce (key 0) v3 (spec §3, §4): one validated batch per partition, checked against the
 * partition's producer state, appended, observed. A retried duplicate answers the original
 * base offset with error 0 and appends nothing; acks=0 sends no response at all.
 */
import { ErrorCode, type ErrorCodeValue } from '../contracts.ts';
import { LogError } from '../log/errors.ts';
import { singleProduceBatch } from '../log/record-batch.ts';
import {
  API_KEY,
  VERSION,
  decodeProduceRequest,
  encodeProduceResponse,
  type ProduceRequest,
  type ProduceResponse,
  type ProduceResponsePartition,
} from '../protocol/apis/produce.ts';
import type { Broker } from '../broker.ts';
import { NO_RESPONSE, defineHandler } from './handler.ts';
import { checkTransactionalProduce } from './transactions.ts';

const VALID_ACKS = new Set([-1, 0, 1]);
/** log_append_time when the broker keeps CreateTime (spec §3). */
const NO_APPEND_TIME = -1;

function failed(index: number, errorCode: ErrorCodeValue): ProduceResponsePartition {
  return { index, errorCode, baseOffset: -1, logAppendTimeMs: NO_APPEND_TIME };
}

/** Validates, checks and appends one partition's batch. */
export function producePartition(broker: Broker, transactionalId: string | null, topic: string, index: number, records: Buffer | null): ProduceResponsePartition {
  const target = broker.partition(topic, index);
  if (target === undefined) return failed(index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  let parsed;
  try {
    parsed = singleProduceBatch(records ?? Buffer.alloc(0));
  } catch (err) {
    if (err instanceof LogError) return failed(index, err.kafkaCode);
    throw err;
  }
  const { batch, header } = parsed;
  if (header.isTransactional) {
    // A transactional batch is only accepted for a partition its transaction has added (spec §7).
    const code = checkTransactionalProduce(broker, transactionalId, header.producerId, header.producerEpoch, topic, index);
    if (code !== ErrorCode.NONE) return failed(index, code);
  }
  const check = target.state.check(header);
  switch (check.kind) {
    case 'error':
      return failed(index, check.code);
    case 'duplicate':
      return { index, errorCode: ErrorCode.NONE, baseOffset: check.baseOffset, logAppendTimeMs: NO_APPEND_TIME };
    case 'append': {
      const baseOffset = broker.append(topic, index, batch, header);
      return { index, errorCode: ErrorCode.NONE, baseOffset, logAppendTimeMs: NO_APPEND_TIME };
    }
    default: {
      const unreachable: never = check;
      throw new Error(`unknown produce check ${JSON.stringify(unreachable)}`);
    }
  }
}

export const produceHandler = defineHandler<ProduceRequest, ProduceResponse>({
  apiKey: API_KEY,
  version: VERSION,
  name: 'Produce',
  decode: decodeProduceRequest,
  encode: encodeProduceResponse,
  handle(ctx, req) {
    const acksValid = VALID_ACKS.has(req.acks);
    const responses = req.topicData.map((t) => ({
      name: t.name,
      partitionResponses: t.partitionData.map((p) =>
        acksValid ? producePartition(ctx.broker, req.transactionalId, t.name, p.index, p.records) : failed(p.index, ErrorCode.INVALID_REQUIRED_ACKS),
      ),
    }));
    // acks=0: the client expects no frame (spec §1); errors are only visible in the log.
    if (req.acks === 0) return NO_RESPONSE;
    return { responses, throttleTimeMs: 0 };
  },
});
