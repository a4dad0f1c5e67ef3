/**
 * The roles `paystream run ROLE` can start, each as one process that finds its services through
 * the environment or a running `paystream up`. Processors join this table as they are built;
 * docker-compose.yml runs one service per role.
 */
import type { Config } from '../../lib/config.ts';
import type { Logger } from '../../lib/logger.ts';
import { PaystreamError } from '../../lib/errors.ts';

export interface RunningRole {
  /** Human-readable addresses to print once the role is up. */
  readonly addresses: Record<string, string>;
  close(): Promise<void>;
}

type RoleStarter = (config: Readonly<Config>, logger: Logger) => Promise<RunningRole>;

export const ROLES: Readonly<Record<string, RoleStarter>> = {
  async router(config, logger) {
    const { roleKit } = await import('./role-kit.ts');
    const { resolveServices } = await import('../services.ts');
    const { createRouter, ROUTER_TOPICS } = await import('../../streams/router/processor.ts');
    const { startAdmin } = await import('../../streams/router/admin.ts');
    const kit = roleKit('router', config, logger);
    // The shipped default rules are written only for the embedded setup; production starts from its own rules.
    const router = createRouter({
      kafka: kit.kafka,
      codec: kit.codec,
      logger,
      registry: kit.registry,
      seedDefaults: resolveServices(config).embeddedRegistry,
      // Breaker state from every channel executor instance (streams/channel/health.ts).
      topics: { ...ROUTER_TOPICS, health: 'channel.health' },
      healthDecoder: (bytes) => kit.codec.decode('ChannelHealth', bytes),
    });
    await router.start();
    const admin = await startAdmin({ host: config.apiHost, port: config.routerAdminPort, kafka: kit.kafka, codec: kit.codec, rulesTopic: ROUTER_TOPICS.rules, rules: () => router.rules(), logger });
    const running = await kit.running(async () => {
      await admin.close();
      await router.stop();
    });
    return { addresses: { ...running.addresses, routing: admin.url }, close: () => running.close() };
  },
  async api(config, logger) {
    const { startApi } = await import('../../api/main.ts');
    const { resolveChannels } = await import('../services.ts');
    // The API verifies each channel's callbacks with that channel's adapter.
    const api = await startApi(config, logger, { channels: new Map(Object.entries(resolveChannels(config))) });
    return { addresses: { api: api.url, ops: api.opsUrl }, close: () => api.close() };
  },
  async result(config, logger) {
    const { roleKit } = await import('./role-kit.ts');
    const { createResultProcessor } = await import('../../streams/result/processor.ts');
    const kit = roleKit('result', config, logger);
    const processor = createResultProcessor({ kafka: kit.kafka, codec: kit.codec, pool: kit.pool(), logger, registry: kit.registry });
    await processor.start();
    return kit.running(() => processor.stop());
  },
  async risk(config, logger) {
    const { roleKit } = await import('./role-kit.ts');
    const { createRedis } = await import('../../lib/redis.ts');
    const { resolveServices } = await import('../services.ts');
    const { loadRules } = await import('../../streams/risk/rules.ts');
    const { startRisk } = await import('../../streams/risk/role.ts');
    const kit = roleKit('risk', config, logger);
    const redis = createRedis({ url: resolveServices(config).redisUrl, logger, connectionName: `${config.kafkaClientId}-risk` });
    const risk = await startRisk({ kafka: kit.kafka, codec: kit.codec, redis, rules: loadRules(config.riskRulesFile), logger, registry: kit.registry });
    return kit.running(
      async () => {
        await risk.stop();
        redis.disconnect();
      },
      { redis: () => redis.ping() },
    );
  },
  async channel(config, logger) {
    const { roleKit } = await import('./role-kit.ts');
    const { resolveChannels } = await import('../services.ts');
    const { valueCodec } = await import('../../schemas/codec.ts');
    const { createChannelExecutor } = await import('../../streams/channel/processor.ts');
    const kit = roleKit('channel', config, logger);
    const adapters = resolveChannels(config);
    if (Object.keys(adapters).length === 0) throw new PaystreamError('no_channels', 'no channel settings: set CHANNELS_FILE or start the sandbox acquirers with `paystream up`');
    const { startHealthPublisher } = await import('../../streams/channel/health.ts');
    // The publisher needs the executor's gates and the executor reports breaker changes to it.
    const health: { publisher?: { publish(channelId: string): void } } = {};
    const executor = createChannelExecutor({ kafka: kit.kafka, decoder: valueCodec(kit.codec, 'PaymentAssessed'), encoder: valueCodec(kit.codec, 'PaymentAttempt'), switchDecoder: valueCodec(kit.codec, 'ChannelSwitch'), adapters, logger, registry: kit.registry, onBreakerChange: (channelId) => health.publisher?.publish(channelId) });
    const publisher = await startHealthPublisher({ kafka: kit.kafka, codec: kit.codec, gates: () => executor.gates, logger });
    health.publisher = publisher;
    const { createRefundExecutor } = await import('../../streams/channel/refunds.ts');
    const refunds = createRefundExecutor({ kafka: kit.kafka, codec: kit.codec, adapters, logger, registry: kit.registry });
    await executor.start();
    await refunds.start();
    return kit.running(async () => {
      await refunds.stop();
      await executor.stop();
      await publisher.stop();
    });
  },
  async sweeper(config, logger) {
    const { roleKit } = await import('./role-kit.ts');
    const { resolveChannels } = await import('../services.ts');
    const { startSweeper } = await import('../../streams/sweeper/sweeper.ts');
    const kit = roleKit('sweeper', config, logger);
    const adapters = resolveChannels(config);
    const stuckAfterMs = config.sweepStuckAfterS === undefined ? undefined : config.sweepStuckAfterS * 1000;
    const sweeper = await startSweeper({
      kafka: kit.kafka,
      codec: kit.codec,
      pool: kit.pool(),
      adapters,
      logger,
      expiryMs: config.paymentExpiryS * 1000,
      schedule: config.sweepSchedule,
      ...(stuckAfterMs === undefined ? {} : { deadlinesMs: Object.fromEntries(Object.keys(adapters).map((id) => [id, stuckAfterMs])) }),
    });
    return kit.running(() => sweeper.stop());
  },
  async ledger(config, logger) {
    const { roleKit } = await import('./role-kit.ts');
    const { createLedgerProcessor } = await import('../../streams/ledger/processor.ts');
    const kit = roleKit('ledger', config, logger);
    const { startSettlement } = await import('../../streams/ledger/settlement.ts');
    const { readBankClient } = await import('../../connectors/bank/settings.ts');
    const ledger = createLedgerProcessor({ kafka: kit.kafka, codec: kit.codec, pool: kit.pool(), logger, registry: kit.registry, rounding: config.ledgerRounding });
    await ledger.start();
    // Daily settlement and payouts, when a bank is configured (bank.json in the data directory).
    const bank = readBankClient(config.dataDir);
    const settlement = bank === undefined ? undefined : startSettlement({ pool: kit.pool(), bank, logger });
    if (bank === undefined) logger.warn('no bank.json: payouts are created by `paystream ledger settle` but not sent');
    return kit.running(async () => {
      await settlement?.stop();
      await ledger.stop();
    });
  },
  async metrics(config, logger) {
    const { roleKit } = await import('./role-kit.ts');
    const { createMetricsProcessor } = await import('../../streams/metrics/processor.ts');
    const kit = roleKit('metrics', config, logger);
    const metrics = createMetricsProcessor({
      kafka: kit.kafka,
      codec: kit.codec,
      logger,
      registry: kit.registry,
      // Counted-but-uncommitted windows cannot be trusted: exit, and the supervisor (or the orchestrator) starts it again.
      onFatal: () => process.exit(1),
    });
    await metrics.start();
    return kit.running(() => metrics.stop());
  },
  async webhooks(config, logger) {
    const { roleKit } = await import('./role-kit.ts');
    const { MerchantStore } = await import('../../api/merchants/store.ts');
    const { resolveMasterKey } = await import('../../api/merchants/master-key.ts');
    const { startWebhookIntake } = await import('../../streams/webhooks/intake.ts');
    const { WebhookDispatcher } = await import('../../streams/webhooks/dispatcher.ts');
    const kit = roleKit('webhooks', config, logger);
    const merchants = new MerchantStore(kit.pool(), resolveMasterKey(config, config.dataDir));
    const intake = await startWebhookIntake({ kafka: kit.kafka, codec: kit.codec, pool: kit.pool(), merchants, logger, windowMs: config.webhookRetryWindowS * 1000 });
    const dispatcher = new WebhookDispatcher({ pool: kit.pool(), merchants, logger });
    dispatcher.start();
    return kit.running(async () => {
      await intake.stop();
      await dispatcher.stop();
    });
  },
};
