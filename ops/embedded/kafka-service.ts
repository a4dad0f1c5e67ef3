/**
 * The embedded Kafka-protocol broker as a child process of the launcher, so a broker crash or
 * SIGKILL test never takes the launcher down, and the broker's fsync/exit path is its own.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import type { Logger } from '../../lib/logger.ts';
import { startProcess } from './processes.ts';

const BROKER_MAIN = fileURLToPath(new URL('./kafka/main.ts', import.meta.url));
const BROKER_START_TIMEOUT_MS = 30_000;
/** The broker fsyncs and closes its segment files on SIGTERM. */
const BROKER_STOP_GRACE_MS = 15_000;

export interface EmbeddedKafka {
  readonly bootstrap: string;
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

/** Matches the broker's command line when looking for one orphaned by a killed launcher. */
export const BROKER_COMMAND_MARK = 'ops/embedded/kafka/main.ts';

export async function startKafka(options: { dataDir: string; host: string; fsyncIntervalMs: number; logLevel: string; logger: Logger }): Promise<EmbeddedKafka> {
  const logger = options.logger.child({ service: 'kafka' });
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  let announce: (port: number) => void = () => undefined;
  const listening = new Promise<number>((resolvePort) => {
    announce = resolvePort;
  });
  const proc = startProcess(
    process.execPath,
    [
      '--import', 'tsx', BROKER_MAIN,
      '--data-dir', dataDir,
      '--host', options.host,
      '--port', '0',
      '--fsync-interval-ms', String(options.fsyncIntervalMs),
      '--log-level', options.logLevel,
    ],
    {
      name: 'kafka',
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
        if (entry.msg === 'broker listening' && typeof entry.port === 'number') announce(entry.port);
      },
    },
  );
  let timer: NodeJS.Timeout | undefined;
  const port = await Promise.race([
    listening,
    proc.exited.then(({ code, signal }) => {
      throw new Error(`the embedded broker exited during start (code ${code}, signal ${signal}):\n${proc.outputTail()}`);
    }),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the embedded broker did not report listening within ${BROKER_START_TIMEOUT_MS} ms:\n${proc.outputTail()}`)), BROKER_START_TIMEOUT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
  logger.info({ port, pid: proc.pid }, 'Kafka broker is ready');
  return { bootstrap: `${options.host}:${port}`, port, pid: proc.pid, stop: () => proc.stop('SIGTERM', BROKER_STOP_GRACE_MS) };
}
