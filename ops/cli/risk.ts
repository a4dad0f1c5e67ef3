/** `paystream risk review list|approve|reject`: operators decide payments the risk processor held. */
import type { Command } from 'commander';
import type { Config } from '../../lib/config.ts';
import { createKafka } from '../../lib/kafka.ts';
import type { Logger } from '../../lib/logger.ts';
import { createRedis } from '../../lib/redis.ts';
import { AvroCodec } from '../../schemas/codec.ts';
import { ReviewStore, decideReview } from '../../streams/risk/reviews.ts';
import { resolveServices } from '../services.ts';

export interface RiskCommandContext {
  config(): Readonly<Config>;
  logger(config: Readonly<Config>): Logger;
  dataDir(cmd: Command, config: Readonly<Config>): string;
}

export function registerRiskCommand(program: Command, ctx: RiskCommandContext): void {
  const review = program.command('risk').description('risk operations').command('review').description('payments held for an operator');
  const connect = (cmd: Command) => {
    const loaded = ctx.config();
    const config = Object.freeze({ ...loaded, dataDir: ctx.dataDir(cmd, loaded) });
    const logger = ctx.logger(config).child({}, { level: 'warn' });
    const services = resolveServices(config);
    const redis = createRedis({ url: services.redisUrl, logger, connectionName: 'paystream-cli' });
    return { config, logger, services, redis, store: new ReviewStore(redis) };
  };
  review
    .command('list')
    .description('payments waiting for a decision, oldest deadline first')
    .option('--data-dir <dir>', 'data directory')
    .action(async (_opts: unknown, cmd: Command) => {
      const { redis, store } = connect(cmd);
      try {
        const pending = await store.list();
        for (const p of pending) process.stdout.write(`${p.paymentId}  ${p.assessed.amountMinor} ${p.assessed.currency}  score ${p.assessed.riskScore}  ${p.assessed.reasons.join(',')}  expires ${new Date(p.deadlineAtMs).toISOString()}\n`);
        if (pending.length === 0) process.stdout.write('no payments wait for review\n');
      } finally {
        redis.disconnect();
      }
    });
  for (const [verb, decision] of [['approve', 'APPROVE'], ['reject', 'DECLINE']] as const) {
    review
      .command(verb)
      .description(`${verb} a held payment`)
      .argument('<paymentId>', 'the payment id')
      .option('--reason <code>', 'reason code recorded with the decision', `operator_${verb === 'approve' ? 'approved' : 'rejected'}`)
      .option('--data-dir <dir>', 'data directory')
      .action(async (paymentId: string, opts: { reason: string }, cmd: Command) => {
        const { config, logger, services, redis, store } = connect(cmd);
        const kafka = createKafka({ brokers: services.kafkaBrokers, clientId: `${config.kafkaClientId}-cli`, logger });
        const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
        await producer.connect();
        try {
          const codec = new AvroCodec({ registryUrl: services.schemaRegistryUrl, clientId: 'paystream-cli', autoRegister: services.embeddedRegistry });
          const final = await decideReview({ store, producer, codec, topic: 'payments.assessed', paymentId, decision, reason: opts.reason, nowMs: Date.now() });
          process.stdout.write(`${paymentId}: ${final.decision} (${opts.reason})\n`);
        } finally {
          await producer.disconnect();
          redis.disconnect();
        }
      });
  }
}
