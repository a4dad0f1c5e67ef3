/**
 * The result processor: the only place where a payment's status changes. Consumes the six
 * topics that carry facts about payments (commands, routed, assessed, attempts, channel
 * notifications, sweeper repairs), applies each through the state machine (apply.ts,
 * transitions.ts) against the read model in PostgreSQL (store.ts), and emits every change on
 * `payments.events` and every contradiction on `payments.anomalies`, in the runtime's Kafka
 * transaction (handle.ts explains why nothing is lost or doubled between the two stores).
 */
import type { Registry } from 'prom-client';
import type { Kafka } from '../../lib/kafka.ts';
import type { Logger } from '../../lib/logger.ts';
import { PaystreamError } from '../../lib/errors.ts';
import { inTransaction, isTransientPostgresError, type Pool } from '../../lib/postgres.ts';
import type { AvroCodec } from '../../schemas/codec.ts';
import type { PaymentAnomaly, PaymentEvent } from '../../schemas/types.ts';
import { parseTraceparent } from '../runtime/traceparent.ts';
import { createProcessor, type Processor, type ProcessorOptions } from '../runtime/index.ts';
import { handleInput, type ResultTopics } from './handle.ts';
import { RESULT_INPUT_TOPICS, inputDecoder, toInput, type InputTopics, type RawInput } from './inputs.ts';
import { createResultMetrics } from './metrics.ts';
import { PAYMENTS_IN_FLIGHT_PER_PARTITION } from './limits.ts';

export type ResultOutput = PaymentEvent | PaymentAnomaly;

export interface ResultProcessorOptions {
  name?: string;
  kafka: Kafka;
  codec: AvroCodec;
  pool: Pool;
  logger: Logger;
  registry: Registry;
  inputs?: Partial<InputTopics>;
  outputs?: Partial<ResultTopics>;
  runtime?: Partial<Pick<ProcessorOptions<RawInput, ResultOutput>, 'group' | 'allowAutoTopicCreation' | 'transactionRecordsMax' | 'transactionHandleMsMax' | 'partitionsConcurrent' | 'keyConcurrency' | 'attemptsMax' | 'backoff'>>;
}

export function createResultProcessor(options: ResultProcessorOptions): Processor {
  const inputs: InputTopics = { ...RESULT_INPUT_TOPICS, ...options.inputs };
  const outputs: ResultTopics = { events: 'payments.events', anomalies: 'payments.anomalies', ...options.outputs };
  const metrics = createResultMetrics(options.registry);
  return createProcessor<RawInput, ResultOutput>({
    name: options.name ?? 'result',
    kafka: options.kafka,
    topics: Object.values(inputs),
    decoder: inputDecoder(options.codec, inputs),
    encoder: {
      encode: (value, topic) => (topic === outputs.anomalies ? options.codec.encode(topic, 'PaymentAnomaly', value as PaymentAnomaly) : options.codec.encode(topic, 'PaymentEvent', value as PaymentEvent)),
    },
    logger: options.logger,
    registry: options.registry,
    // Payments in parallel, each payment's inputs in order (and serialised across topics by its lock).
    keyConcurrency: PAYMENTS_IN_FLIGHT_PER_PARTITION,
    ...options.runtime,
    handler: async (record, { log }) => {
      const input = toInput(record.value, parseTraceparent(record.traceparent)?.traceId ?? null);
      const source = `${record.topic}/${record.partition}/${record.offset}`;
      const handled = await inTransaction(options.pool, (client) => handleInput(client, input, source, outputs)).catch((err: unknown) => {
        if (err instanceof PaystreamError) throw err;
        // Retried in place (then via the runtime's budget); a query bug dead-letters the record with its reason.
        throw new PaystreamError(isTransientPostgresError(err) ? 'postgres_unavailable' : 'postgres_error', `read model write failed: ${err instanceof Error ? err.message : String(err)}`, { retriable: isTransientPostgresError(err), cause: err });
      });
      metrics.observe(handled);
      for (const f of handled.fresh) {
        if (f.outcome === 'rejected' || f.outcome === 'conflict') log.warn({ input: f.kind, outcome: f.outcome, reason: f.reason }, 'payment input not applied as is');
      }
      return handled.outputs.map((o) => ({ topic: o.topic, key: o.key, value: o.value as ResultOutput }));
    },
  });
}
