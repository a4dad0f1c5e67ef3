/**
 * The embedded schema registry as a child process of the embedded launcher, the same way the
 * broker runs (ops/embedded/kafka-service.ts): a registry crash never takes the launcher down.
 * The launcher starts it after Kafka and publishes `url` as the schemaRegistry endpoint.
 */
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../../lib/logger.ts';
import { startProcess } from '../processes.ts';

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
  let announce: (port: number) => void = () => undefined;
  const listening = new Promise<number>((resolvePort) => {
    announce = resolvePort;
  });
  const proc = startProcess(
    process.execPath,
    ['--import', 'tsx', REGISTRY_MAIN, '--kafka-brokers', options.kafkaBootstrap, '--host', options.host, '--port', String(options.port ?? 0), '--log-level', options.logLevel],
    {
      name: 'schemaRegistry',
      logger,
      onLine(line) {
        if (!line.startsWith('{')) return;
        let entry: { msg?: unknown; port?: unknown };
        try {
          entry = JSON.parse(line) as typeof entry;
        } catch (err) {
          if (err instanceof SyntaxError) return;
          throw err;
        }
        if (entry.msg === 'registry listening' && typeof entry.port === 'number') announce(entry.port);
      },
    },
  );
  let timer: NodeJS.Timeout | undefined;
  const port = await Promise.race([
    listening,
    proc.exited.then(({ code, signal }) => {
      throw new Error(`the embedded schema registry exited during start (code ${code}, signal ${signal}):\n${proc.outputTail()}`);
    }),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the embedded schema registry did not report listening within ${REGISTRY_START_TIMEOUT_MS} ms:\n${proc.outputTail()}`)), REGISTRY_START_TIMEOUT_MS);
    }),
  ]).catch(async (err: unknown) => {
    await proc.stop('SIGKILL', 0);
    throw err;
  }).finally(() => clearTimeout(timer));
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  logger.info({ port, pid: proc.pid }, 'schema registry is ready');
  return { url: `http://${host}:${port}`, port, pid: proc.pid, stop: () => proc.stop('SIGTERM', REGISTRY_STOP_GRACE_MS) };
}
