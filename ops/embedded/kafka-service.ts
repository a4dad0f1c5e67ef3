/**
 * The embedded Kafka-protocol broker as a child process of the launcher, so a broker crash or
 * SIGKILL test never takes the launcher down, and the broker's fsync/exit path is its own.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import type { Logger } from '../../lib/logger.ts';
import { startListeningProcess } from './processes.ts';

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
  const { proc, port } = await startListeningProcess(
    process.execPath,
    [
      '--import', 'tsx', BROKER_MAIN,
      '--data-dir', dataDir,
      '--host', options.host,
      '--port', '0',
      '--fsync-interval-ms', String(options.fsyncIntervalMs),
      '--log-level', options.logLevel,
    ],
    { name: 'the embedded broker', logger, listeningMsg: 'broker listening', startTimeoutMs: BROKER_START_TIMEOUT_MS },
  );
  logger.info({ port, pid: proc.pid }, 'Kafka broker is ready');
  return { bootstrap: `${options.host}:${port}`, port, pid: proc.pid, stop: () => proc.stop('SIGTERM', BROKER_STOP_GRACE_MS) };
}
