/**
 * The embedded schema registry: Confluent's REST subset over the `_schemas` topic.
 *
 *   const registry = await startSchemaRegistry({ kafkaBrokers: ['127.0.0.1:9092'], host: '127.0.0.1', port: 0, logger });
 *   registry.url   // http://127.0.0.1:PORT, what SCHEMA_REGISTRY_URL would hold
 *   await registry.close();
 */
import { randomBytes } from 'node:crypto';
import type { HostPort } from '../../../lib/config.ts';
import { createKafka } from '../../../lib/kafka.ts';
import type { Logger } from '../../../lib/logger.ts';
import { SCHEMAS_TOPIC } from '../../../schemas/catalogue.ts';
import { buildRegistryApp } from './http.ts';
import { openKafkaLog } from './kafka-log.ts';
import { CLOSE_GRACE_MS } from './limits.ts';
import { RegistryService } from './service.ts';
import { RegistryState } from './state.ts';

export interface SchemaRegistryOptions {
  kafkaBrokers: readonly (string | HostPort)[];
  host: string;
  /** 0 picks a free port. */
  port: number;
  logger: Logger;
  /** The storage topic; `_schemas` unless tests isolate themselves. */
  topic?: string;
  /** Replication of the storage topic when the registry creates it: 1 on the embedded broker. */
  replicationFactor?: number;
  clientId?: string;
}

export interface RunningSchemaRegistry {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

export async function startSchemaRegistry(options: SchemaRegistryOptions): Promise<RunningSchemaRegistry> {
  const logger = options.logger.child({ component: 'schema-registry' });
  const state = new RegistryState();
  const kafka = createKafka({ brokers: options.kafkaBrokers, clientId: options.clientId ?? `schema-registry-${randomBytes(4).toString('hex')}`, logger });
  const log = await openKafkaLog({
    kafka,
    topic: options.topic ?? SCHEMAS_TOPIC,
    replicationFactor: options.replicationFactor ?? 1,
    logger,
    onRecord: (key, value, offset) => {
      if (state.applyRaw(key, value) === 'skipped') logger.warn({ offset, key }, 'skipped a _schemas record this registry does not understand');
    },
  });
  const app = buildRegistryApp(new RegistryService(state, log, logger), logger);
  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (err) {
    await log.close();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  const url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`;
  logger.info({ url }, 'schema registry started');
  let closing: Promise<void> | undefined;
  return {
    host: options.host,
    port,
    url,
    close: () => {
      closing ??= (async () => {
        const grace = setTimeout(() => app.server.closeAllConnections(), CLOSE_GRACE_MS).unref();
        try {
          await app.close();
        } finally {
          clearTimeout(grace);
          await log.close();
        }
      })();
      return closing;
    },
  };
}
