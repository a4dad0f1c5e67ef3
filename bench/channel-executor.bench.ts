/**
 * Attempts per second through one channel executor when the channel answers in 100 ms, next to
 * the ideal of (calls in flight per channel / latency) computed in the same run.
 * The executor, the embedded broker (child process), the schema registry and one sandbox
 * acquirer share this machine; the figure is what the executor sustains end to end: assessed
 * records in, approved attempt records committed on the attempts topic.
 */
import { Registry } from 'prom-client';
import { createKafka } from '../lib/kafka.ts';
import { createLogger } from '../lib/logger.ts';
import { startSchemaRegistry } from '../ops/embedded/schema-registry/index.ts';
import { AvroCodec, valueCodec } from '../schemas/codec.ts';
import type { PaymentAssessed } from '../schemas/types.ts';
import { createChannelAdapter } from '../connectors/channels/index.ts';
import { startSandboxFleet } from '../connectors/channels/sandbox/fleet.ts';
import { createChannelExecutor } from '../streams/channel/processor.ts';
import { CALLS_IN_FLIGHT_PER_CHANNEL_MAX } from '../streams/channel/limits.ts';
import { startEmbedded } from './lib/brokers.ts';
import { recordFigure } from './lib/result.ts';

const LATENCY_MS = 100;
const PARTITIONS = 8;
const PAYMENTS_PER_RUN = 12_000;
const RUNS = 3;
const RUN_TIMEOUT_MS = 120_000;

async function main(): Promise<void> {
  const logger = createLogger({ level: 'silent' });
  const broker = await startEmbedded(PARTITIONS);
  const schemas = await startSchemaRegistry({ kafkaBrokers: [broker.bootstrap], host: '127.0.0.1', port: 0, logger, topic: 'bench-schemas' });
  const fleet = await startSandboxFleet({ notifyUrl: () => 'http://127.0.0.1:9/unused', timeoutMs: 5_000, behaviour: { acq_alpha: { latency: { kind: 'fixed', ms: LATENCY_MS } } } });
  const codec = new AvroCodec({ registryUrl: schemas.url, clientId: 'bench-codec', autoRegister: true });
  const kafka = createKafka({ brokers: [broker.bootstrap], clientId: 'bench-channel', logger });
  const runs: Array<{ value: number; baseline: number; seconds: number; totalSeconds: number }> = [];
  try {
    for (let run = 0; run < RUNS; run += 1) {
      const input = `bench.assessed.${run}`;
      const attempts = `bench.attempts.${run}`;
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [input, attempts, `${input}.dlq`, `bench.switches.${run}`].map((topic) => ({ topic, numPartitions: PARTITIONS })) });
      await admin.disconnect();
      const executor = createChannelExecutor({
        name: `bench-executor-${run}`,
        kafka,
        inputTopic: input,
        attemptsTopic: attempts,
        switchesTopic: `bench.switches.${run}`,
        decoder: valueCodec(codec, 'PaymentAssessed'),
        encoder: valueCodec(codec, 'PaymentAttempt'),
        switchDecoder: valueCodec(codec, 'ChannelSwitch'),
        adapters: { acq_alpha: createChannelAdapter(fleet.adapters.acq_alpha) },
        logger,
        registry: new Registry(),
        runtime: { partitionsConcurrent: PARTITIONS, group: { sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, heartbeatIntervalMs: 1_000, maxWaitTimeMs: 100 } },
      });
      const producer = kafka.producer();
      await producer.connect();
      const assessed = valueCodec(codec, 'PaymentAssessed');
      const messages = await Promise.all(
        Array.from({ length: PAYMENTS_PER_RUN }, async (_, i) => {
          const p: PaymentAssessed = {
            paymentId: `bench-${run}-${i}`, merchantId: 'm', amountMinor: 100n, currency: 'EUR', method: 'CARD', merchantReference: `r${i}`,
            channelId: 'acq_alpha', fallbackChannelIds: [], ruleId: null, experimentArm: null, riskScore: 1, decision: 'APPROVE', reasons: [], assessedAtMs: Date.now(),
          };
          return { key: p.paymentId, value: await assessed.encode(p, input) };
        }),
      );
      await producer.send({ topic: input, acks: -1, messages });
      await producer.disconnect();

      const done = new Set<string>();
      const reader = kafka.consumer({ groupId: `bench-reader-${run}`, maxWaitTimeInMs: 100 });
      await reader.connect();
      await reader.subscribe({ topic: attempts, fromBeginning: true });
      // Steady state: the time between the 10th and the 90th percentile of attempts committed, so
      // the group join, the adaptive limit's first round trips and the last chunk's tail (each once
      // per start) neither dilute nor flatter the rate.
      const lowMark = Math.floor(PAYMENTS_PER_RUN * 0.1);
      const highMark = Math.floor(PAYMENTS_PER_RUN * 0.9);
      let lowMs = 0;
      let highMs = 0;
      await reader.run({
        eachMessage: async ({ message }) => {
          done.add(message.key?.toString() ?? '');
          if (lowMs === 0 && done.size >= lowMark) lowMs = Date.now();
          if (highMs === 0 && done.size >= highMark) highMs = Date.now();
        },
      });
      const startedMs = Date.now();
      await executor.start();
      while (done.size < PAYMENTS_PER_RUN) {
        if (Date.now() - startedMs > RUN_TIMEOUT_MS) throw new Error(`run ${run}: ${done.size} of ${PAYMENTS_PER_RUN} attempts in ${RUN_TIMEOUT_MS} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
      const seconds = (highMs - lowMs) / 1000;
      const totalSeconds = (Date.now() - startedMs) / 1000;
      await executor.stop();
      await reader.disconnect();
      runs.push({ value: Math.round((highMark - lowMark) / seconds), baseline: CALLS_IN_FLIGHT_PER_CHANNEL_MAX / (LATENCY_MS / 1000), seconds, totalSeconds });
    }
  } finally {
    await fleet.close();
    await schemas.close();
    await broker.stop();
  }
  recordFigure({
    name: 'channel-executor',
    unit: 'attempts/s',
    baselineName: `ideal ${CALLS_IN_FLIGHT_PER_CHANNEL_MAX} in flight / ${LATENCY_MS} ms`,
    target: 0.7,
    workload: `${PAYMENTS_PER_RUN} card payments per run on ${PARTITIONS} partitions through one executor to one sandbox acquirer answering in ${LATENCY_MS} ms; steady-state rate between the 10th and 90th percentile of attempt records read committed (totalSeconds: executor start to the last record, group join included)`,
    runs,
  });
}

await main();
