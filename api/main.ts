/**
 * Runs the ingress API: `npx tsx api/main.ts` (with `paystream up` running, or with
 * DATABASE_URL, REDIS_URL, KAFKA_BROKERS and SCHEMA_REGISTRY_URL set). Listens on
 * API_HOST:API_PORT; /metrics, /healthz and /readyz are served on the same port and, like every
 * role, on METRICS_PORT.
 */
import { pino } from 'pino';
import type { ChannelAdapter } from '../connectors/channels/types.ts';
import { loadConfig, type Config } from '../lib/config.ts';
import { createKafka } from '../lib/kafka.ts';
import { createLogger, type Logger } from '../lib/logger.ts';
import { createMetricsRegistry } from '../lib/metrics.ts';
import { startOpsServer } from '../lib/ops-server.ts';
import { createPool } from '../lib/postgres.ts';
import { createRedis } from '../lib/redis.ts';
import { createShutdown } from '../lib/shutdown.ts';
import { resolveServices } from '../ops/services.ts';
import { AvroCodec } from '../schemas/codec.ts';
import { buildApp } from './app.ts';
import { COMMANDS_TOPIC, KafkaCommandSink } from './commands.ts';
import { resolveMasterKey } from './merchants/master-key.ts';
import { MerchantStore } from './merchants/store.ts';

/**
 * `channels`: the adapters whose callbacks this API takes (e.g. built with createChannelAdapter
 * from a sandbox fleet); without them every channel callback is a 404.
 */
export async function startApi(config: Readonly<Config>, logger: Logger, extras: { channels?: ReadonlyMap<string, ChannelAdapter> } = {}): Promise<{ url: string; opsUrl: string; close(): Promise<void> }> {
  const found = resolveServices(config);
  const pool = createPool({ url: found.databaseUrl, logger, applicationName: `${config.kafkaClientId}-api` });
  const redis = createRedis({ url: found.redisUrl, logger, connectionName: `${config.kafkaClientId}-api` });
  const kafka = createKafka({ brokers: found.kafkaBrokers, clientId: `${config.kafkaClientId}-api`, logger });
  const admin = kafka.admin();
  const codec = new AvroCodec({ registryUrl: found.schemaRegistryUrl, clientId: `${config.kafkaClientId}-api`, autoRegister: found.embeddedRegistry });
  const commands = new KafkaCommandSink(kafka, codec);
  const registry = createMetricsRegistry({ role: 'api' });
  const kafkaReady = async () => {
    await admin.connect();
    await admin.fetchTopicMetadata({ topics: [COMMANDS_TOPIC] });
  };
  const app = await buildApp({ logger, pool, redis, commands, merchants: new MerchantStore(pool, resolveMasterKey(config, config.dataDir)), registry, kafkaReady, ...(extras.channels === undefined ? {} : { channels: extras.channels }) });
  const url = await app.listen({ host: config.apiHost, port: config.apiPort });
  const ops = await startOpsServer({
    host: config.apiHost,
    port: config.metricsPort,
    registry,
    logger,
    checks: { kafka: kafkaReady, redis: async () => void (await redis.ping()), postgres: async () => void (await pool.query('SELECT 1')) },
  });
  logger.info({ url, opsUrl: ops.url }, 'ingress API listening');
  return {
    url,
    opsUrl: ops.url,
    async close() {
      await ops.close();
      await app.close();
      await commands.close();
      await admin.disconnect();
      redis.disconnect();
      await pool.end();
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, name: 'api', destination: pino.destination(2) });
  const shutdown = createShutdown({ graceMs: config.shutdownGraceMs, logger });
  shutdown.installSignalHandlers();
  const api = await startApi(config, logger);
  shutdown.add('ingress API', () => api.close());
  process.stdout.write(`ingress API on ${api.url}\n`);
}
