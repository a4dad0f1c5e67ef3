/**
 * Runs sweeps on a schedule (croner: cron syntax with seconds, no overlapping runs) and publishes
 * their repairs on `payments.repairs` with an idempotent producer (acks from all replicas).
 */
import { randomUUID } from 'node:crypto';
import { Cron } from 'croner';
import type { Kafka, Producer } from '../../lib/kafka.ts';
import type { Logger } from '../../lib/logger.ts';
import type { Pool } from '../../lib/postgres.ts';
import type { AvroCodec } from '../../schemas/codec.ts';
import type { ChannelAdapter } from '../../connectors/channels/types.ts';
import type { PaymentRepair } from '../../schemas/types.ts';
import { SWEEP_SCHEDULE_DEFAULT } from './limits.ts';
import { sweep, type SweepResult } from './sweep.ts';

export interface SweeperOptions {
  kafka: Kafka;
  codec: AvroCodec;
  pool: Pool;
  adapters: Readonly<Record<string, ChannelAdapter | undefined>>;
  logger: Logger;
  expiryMs: number;
  schedule?: string;
  topic?: string;
  deadlinesMs?: Readonly<Record<string, number>>;
  onSweep?: (result: SweepResult) => void;
}

export interface Sweeper {
  /** Runs one sweep now (what the schedule runs). */
  runOnce(): Promise<SweepResult>;
  stop(): Promise<void>;
}

export async function startSweeper(options: SweeperOptions): Promise<Sweeper> {
  const topic = options.topic ?? 'payments.repairs';
  const producer: Producer = options.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  const publish = async (repairs: readonly PaymentRepair[]) => {
    const messages = await Promise.all(repairs.map(async (r) => ({ key: r.paymentId, value: await options.codec.encode(topic, 'PaymentRepair', r) })));
    await producer.send({ topic, acks: -1, messages });
  };
  let running: Promise<SweepResult> | undefined;
  const runOnce = async (): Promise<SweepResult> => {
    running = sweep({ pool: options.pool, adapters: options.adapters, publish, logger: options.logger, nowMs: Date.now(), sweepId: randomUUID(), expiryMs: options.expiryMs, ...(options.deadlinesMs === undefined ? {} : { deadlinesMs: options.deadlinesMs }) });
    const result = await running;
    options.onSweep?.(result);
    return result;
  };
  const job = new Cron(options.schedule ?? SWEEP_SCHEDULE_DEFAULT, { protect: true }, async () => {
    await runOnce().catch((err: unknown) => options.logger.error({ err }, 'sweep failed; the next one retries'));
  });
  return {
    runOnce,
    async stop() {
      job.stop();
      await running?.catch(() => undefined);
      await producer.disconnect();
    },
  };
}
