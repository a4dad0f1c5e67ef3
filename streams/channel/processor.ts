/**
 * The channel executor: consumes assessed payments (`payments.assessed` carries the risk
 * decision beside the route), calls the routed channel through its gate and publishes every
 * attempt on `payments.attempts`. Kill switches are followed from `config.channels` for as long
 * as the executor runs. Phases per record: validate (decode) → load (switches, breakers) →
 * decide + call (`execute.ts`) → emit (the runtime commits outputs with the input offset).
 */
import { randomUUID } from 'node:crypto';
import type { Registry } from 'prom-client';
import type { Consumer, Kafka } from '../../lib/kafka.ts';
import type { Logger } from '../../lib/logger.ts';
import { PaystreamError } from '../../lib/errors.ts';
import { createProcessor, type Processor, type ProcessorOptions, type ValueDecoder, type ValueEncoder } from '../runtime/index.ts';
import type { ChannelAdapter, ChannelId } from '../../connectors/channels/types.ts';
import { CHANNEL_IDS } from '../../connectors/channels/types.ts';
import type { ChannelSwitch, PaymentAssessed, PaymentAttempt } from '../../schemas/types.ts';
import type { BreakerOptions } from './breaker.ts';
import { executePayment } from './execute.ts';
import { ChannelGate } from './gate.ts';
import { CALLS_IN_FLIGHT_PER_CHANNEL_MAX, PAYMENTS_IN_FLIGHT_PER_PARTITION } from './limits.ts';
import { HANDLE_ATTEMPTS_MAX } from '../runtime/limits.ts';
import { createExecutorMetrics } from './metrics.ts';
import { ChannelSwitches } from './switches.ts';

export type ExecutorErrorCode = 'no_channel_available';

export class ExecutorError extends PaystreamError<ExecutorErrorCode> {
  constructor(code: ExecutorErrorCode, message: string, options: { retriable: boolean }) {
    super(code, message, options);
    this.name = 'ExecutorError';
  }
}

export interface ChannelExecutorOptions {
  name?: string;
  kafka: Kafka;
  inputTopic?: string;
  attemptsTopic?: string;
  switchesTopic?: string;
  decoder: ValueDecoder<PaymentAssessed>;
  encoder: ValueEncoder<PaymentAttempt>;
  switchDecoder: { decode(bytes: Buffer, topic: string): Promise<ChannelSwitch> | ChannelSwitch };
  adapters: Partial<Record<ChannelId, ChannelAdapter>>;
  logger: Logger;
  registry: Registry;
  clock?: { nowMs(): number };
  inFlightPerChannelMax?: number;
  createTimeoutMs?: number;
  queryTimeoutMs?: number;
  breaker?: BreakerOptions;
  /** Called after a channel's breaker changed state (e.g. to publish channel health). */
  onBreakerChange?: (channelId: ChannelId) => void;
  /** Passed through to the runtime (group timings, chunk sizes, auto topic creation). */
  runtime?: Partial<Pick<ProcessorOptions<PaymentAssessed, PaymentAttempt>, 'group' | 'allowAutoTopicCreation' | 'transactionRecordsMax' | 'transactionHandleMsMax' | 'partitionsConcurrent' | 'keyConcurrency' | 'attemptsMax' | 'backoff'>>;
}

export interface ChannelExecutor {
  start(): Promise<void>;
  stop(): Promise<void>;
  gates: Partial<Record<ChannelId, ChannelGate>>;
  switches: ChannelSwitches;
}

export function createChannelExecutor(options: ChannelExecutorOptions): ChannelExecutor {
  const name = options.name ?? 'channel-executor';
  const clock = options.clock ?? { nowMs: () => Date.now() };
  const attemptsTopic = options.attemptsTopic ?? 'payments.attempts';
  const switchesTopic = options.switchesTopic ?? 'config.channels';
  const switches = new ChannelSwitches();
  const metrics = createExecutorMetrics(options.registry, CHANNEL_IDS);
  const gates: Partial<Record<ChannelId, ChannelGate>> = {};
  for (const id of CHANNEL_IDS) {
    if (options.adapters[id] === undefined) continue;
    gates[id] = new ChannelGate({
      channelId: id,
      inFlightMax: options.inFlightPerChannelMax ?? CALLS_IN_FLIGHT_PER_CHANNEL_MAX,
      switches,
      ...(options.breaker === undefined ? {} : { breaker: options.breaker }),
      onBreakerChange: (channelId, kind) => {
        metrics.breakerChanged(channelId, kind);
        options.onBreakerChange?.(channelId);
        options.logger.warn({ channelId, breaker: kind }, 'channel breaker changed state');
      },
    });
  }

  const attemptsMax = options.runtime?.attemptsMax ?? HANDLE_ATTEMPTS_MAX;
  const processor: Processor = createProcessor<PaymentAssessed, PaymentAttempt>({
    name,
    kafka: options.kafka,
    topics: [options.inputTopic ?? 'payments.assessed'],
    decoder: options.decoder,
    encoder: options.encoder,
    logger: options.logger,
    registry: options.registry,
    clock,
    // Each payment mostly waits on its channel: many at once, each payment's records in order.
    keyConcurrency: PAYMENTS_IN_FLIGHT_PER_PARTITION,
    ...options.runtime,
    handler: async (record, context) => {
      const { log } = context;
      const channels = {
        adapters: options.adapters,
        gates,
        ...(options.createTimeoutMs === undefined ? {} : { createTimeoutMs: options.createTimeoutMs }),
        ...(options.queryTimeoutMs === undefined ? {} : { queryTimeoutMs: options.queryTimeoutMs }),
      };
      const execution = await executePayment(record.value, channels, clock);
      if (execution.end.kind === 'give_up' && execution.end.reason === 'no_channel_available' && execution.attempts.length === 0) {
        // Nothing was sent: retried in place while a breaker cools down; when the last try still
        // finds no channel, the payment fails (recorded as a FAILED attempt on its last routed
        // channel, so the result processor ends it with the reason) instead of waiting forever.
        if (context.attempt < attemptsMax) throw new ExecutorError('no_channel_available', `no routed channel of ${record.value.paymentId} is enabled and callable`, { retriable: true });
        const p = record.value;
        const now = clock.nowMs();
        const failed: PaymentAttempt = { paymentId: p.paymentId, attemptId: `${p.paymentId}:none`, attemptNumber: 1 + p.fallbackChannelIds.length, channelId: p.fallbackChannelIds.at(-1) ?? p.channelId, amountMinor: p.amountMinor, currency: p.currency, status: 'FAILED', channelReference: null, declineCode: null, errorCode: 'no_channel_available', requestedAtMs: now, respondedAtMs: now };
        metrics.outcome('no_channel_available');
        log.warn({ paymentId: p.paymentId }, 'no usable channel after every retry: the payment fails');
        return [{ topic: attemptsTopic, key: p.paymentId, value: failed }];
      }
      for (const a of execution.attempts) metrics.attempt(a.channelId, a.status);
      metrics.outcome(execution.end.kind === 'final' ? execution.end.status : execution.end.reason);
      if (execution.end.kind === 'give_up') log.warn({ reason: execution.end.reason }, 'channel executor gave up on a payment');
      return execution.attempts.map((value) => ({ topic: attemptsTopic, key: value.paymentId, value }));
    },
  });

  let follower: Consumer | null = null;
  return {
    gates,
    switches,
    async start() {
      follower = await followSwitches(options, switchesTopic, switches, name);
      await processor.start();
    },
    async stop() {
      await processor.stop();
      // The breakers' window timers end with the executor (it is not started again after a stop).
      for (const gate of Object.values(gates)) gate.close();
      if (follower !== null) await follower.disconnect();
      follower = null;
    },
  };
}

/**
 * Reads the whole compacted switch topic and then every new record, in a group of its own per
 * instance (each instance needs every switch, not a share of them).
 */
async function followSwitches(options: ChannelExecutorOptions, topic: string, switches: ChannelSwitches, name: string): Promise<Consumer> {
  const consumer = options.kafka.consumer({ groupId: `${name}.switches.${randomUUID()}`, allowAutoTopicCreation: options.runtime?.allowAutoTopicCreation ?? false, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const key = message.key?.toString('utf8');
      if (key === undefined) return;
      const value = message.value === null ? null : await options.switchDecoder.decode(message.value, topic);
      switches.apply(key, value);
      options.logger.info({ channelId: key, enabled: switches.enabled(key) }, 'channel switch applied');
    },
  });
  return consumer;
}
