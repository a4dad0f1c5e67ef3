/**
 * The embedded schema registry as a child process of the embedded launcher, the same way the
 * broker runs (ops/embedded/kafka-service.ts): a registry crash never takes the launcher down.
 * The launcher starts it after Kafka and publishes `url` as the schemaRegistry endpoint.
 */
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../../lib/logger.ts';
import { startListeningProcess } from '../processes.ts';

const REGISTRY_MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
/** Start-up reads all of `_schemas`; generous for a large log on a busy machine. */
const REGISTRY_START_TIMEOUT_MS = 60_000;
/** close() lets in-flight requests finish, then disconnects from Kafka. */
const REGISTRY_STOP_GRACE_MS = 10_000;

/** Matches the registry's command line when looking for one orphaned by a killed launcher. */
export const REGISTRY_COMMAND_MARK = 'ops/embedded/schema-registry/main.ts';

export interface EmbeddedSchemaRegistry {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

export async function startSchemaRegistryProcess(options: { kafkaBootstrap: string; host: string; port?: number; logLevel: string; logger: Logger }): Promise<EmbeddedSchemaRegistry> {
  const logger = options.logger.child({ service: 'schemaRegistry' });
  const { proc, port } = await startListeningProcess(
    process.execPath,
    ['--import', 'tsx', REGISTRY_MAIN, '--kafka-brokers', options.kafkaBootstrap, '--host', options.host, '--port', String(options.port ?? 0), '--log-level', options.logLevel],
    { name: 'the embedded schema registry', logger, listeningMsg: 'registry listening', startTimeoutMs: REGISTRY_START_TIMEOUT_MS },
  );
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  logger.info({ port, pid: proc.pid }, 'schema registry is ready');
  return { url: `http://${host}:${port}`, port, pid: proc.pid, stop: () => proc.stop('SIGTERM', REGISTRY_STOP_GRACE_MS) };
}
