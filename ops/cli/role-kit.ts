/**
 * What every processor role needs, connected the same way: its services (ops/services.ts), a
 * Kafka client, the registry codec, a metrics registry labelled with the role, PostgreSQL when
 * asked for, and the ops server (/metrics, /healthz, /readyz) on METRICS_PORT.
 */
import type { Registry } from 'prom-client';
import type { Config } from '../../lib/config.ts';
import { createKafka, type Kafka } from '../../lib/kafka.ts';
import type { Logger } from '../../lib/logger.ts';
import { createMetricsRegistry } from '../../lib/metrics.ts';
import { startOpsServer, type ReadinessCheck } from '../../lib/ops-server.ts';
import { createPool, type Pool } from '../../lib/postgres.ts';
import { AvroCodec } from '../../schemas/codec.ts';
import { resolveServices } from '../services.ts';
import type { RunningRole } from './roles.ts';

export interface RoleKit {
  kafka: Kafka;
  codec: AvroCodec;
  registry: Registry;
  pool(): Pool;
  /** Starts the ops server and returns the running role; `close` runs before the shared clients close. */
  running(close: () => Promise<void>, checks?: Record<string, ReadinessCheck>): Promise<RunningRole>;
}

export function roleKit(role: string, config: Readonly<Config>, logger: Logger): RoleKit {
  const services = resolveServices(config);
  const clientId = `${config.kafkaClientId}-${role}`;
  const kafka = createKafka({ brokers: services.kafkaBrokers, clientId, logger });
  const codec = new AvroCodec({ registryUrl: services.schemaRegistryUrl, clientId, autoRegister: services.embeddedRegistry });
  const registry = createMetricsRegistry({ role });
  let pool: Pool | undefined;
  return {
    kafka,
    codec,
    registry,
    pool() {
      pool ??= createPool({ url: services.databaseUrl, logger, applicationName: clientId });
      return pool;
    },
    async running(close, checks = {}) {
      const admin = kafka.admin();
      const allChecks: Record<string, ReadinessCheck> = {
        kafka: async () => {
          await admin.connect();
          await admin.listTopics();
        },
        ...(pool === undefined ? {} : { postgres: () => (pool as Pool).query('SELECT 1') }),
        ...checks,
      };
      const ops = await startOpsServer({ host: config.apiHost, port: config.metricsPort, registry, logger, checks: allChecks });
      return {
        addresses: { ops: ops.url },
        async close() {
          await ops.close();
          await close();
          await admin.disconnect();
          await pool?.end();
        },
      };
    },
  };
}
