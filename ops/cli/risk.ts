/** `paystream risk review list|approve|reject`: operators decide payments the risk processor held. */
import type { Command } from 'commander';
import type { Config } from '../../lib/config.ts';
import { createKafka } from '../../lib/kafka.ts';
import type { Logger } from '../../lib/logger.ts';
import { createRedis } from '../../lib/redis.ts';
import { AvroCodec } from '../../schemas/codec.ts';
import { ReviewStore, decideReview } from '../../streams/risk/reviews.ts';
import { BLOCKLIST_TOPIC, blocklistKey } from '../../streams/risk/blocklist.ts';
import type { BlocklistEntry } from '../../schemas/types.ts';
import { PaystreamError } from '../../lib/errors.ts';
import { resolveServices } from '../services.ts';

export interface RiskCommandContext {
  config(): Readonly<Config>;
  logger(config: Readonly<Config>): Logger;
  dataDir(cmd: Command, config: Readonly<Config>): string;
}

export function registerRiskCommand(program: Command, ctx: RiskCommandContext): void {
  const risk = program.command('risk').description('risk operations');
  for (const [verb, blocked] of [['block', true], ['unblock', false]] as const) {
    risk
      .command(verb)
      .description(`${verb} a customer id, device id or IP for every risk instance (compacted ${BLOCKLIST_TOPIC})`)
      .argument('<kind>', 'customer, device or ip')
      .argument('<value>', 'the id or address')
      .option('--reason <text>', 'why', verb === 'block' ? 'blocked by an operator' : 'unblocked by an operator')
      .option('--by <who>', 'who decided', process.env.USER ?? 'operator')
      .option('--data-dir <dir>', 'data directory')
      .action(async (kindText: string, value: string, opts: { reason: string; by: string }, cmd: Command) => {
        const kind = kindText.toUpperCase();
        if (kind !== 'CUSTOMER' && kind !== 'DEVICE' && kind !== 'IP') throw new PaystreamError('blocklist_kind_invalid', `kind is customer, device or ip, not ${kindText}`);
        if (value.trim() === '' || value.length > 256) throw new PaystreamError('blocklist_value_invalid', 'the value is 1-256 characters');
        const loaded = ctx.config();
        const config = Object.freeze({ ...loaded, dataDir: ctx.dataDir(cmd, loaded) });
        const services = resolveServices(config);
        const logger = ctx.logger(config).child({}, { level: 'warn' });
        const producer = createKafka({ brokers: services.kafkaBrokers, clientId: `${config.kafkaClientId}-cli`, logger }).producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
        await producer.connect();
        try {
          const codec = new AvroCodec({ registryUrl: services.schemaRegistryUrl, clientId: 'paystream-cli', autoRegister: services.embeddedRegistry });
          const entry: BlocklistEntry = { kind, value, blocked, reason: opts.reason, updatedBy: opts.by, updatedAtMs: Date.now() };
          await producer.send({ topic: BLOCKLIST_TOPIC, acks: -1, messages: [{ key: blocklistKey(kind, value), value: await codec.encode(BLOCKLIST_TOPIC, 'BlocklistEntry', entry) }] });
          process.stdout.write(`${kind} ${value} ${blocked ? 'blocked' : 'unblocked'}\n`);
        } finally {
          await producer.disconnect();
        }
      });
  }
  const review = risk.command('review').description('payments held for an operator');
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
