/**
 * Command line of the embedded broker, in the foreground until SIGINT or SIGTERM:
 *
 *   tsx ops/embedded/kafka/main.ts --data-dir DIR --port PORT [--host H] [--advertised-host H]
 *       [--metrics-port P] [--default-partitions N] [--no-auto-create-topics] [--log-level L]
 *       [--fsync-interval-ms MS] [--transaction-check-interval-ms MS] [--group-initial-rebalance-delay-ms MS]
 *       [--log-cleanup-interval-ms MS]
 *
 * Once listening it writes exactly one line `{"msg":"broker listening","host":…,"port":…,"pid":…}`
 * to stdout; supervisors and test helpers wait for it. Logs are pino JSON lines on stdout too,
 * written synchronously so lines never interleave.
 */
import fs from 'node:fs';
import http from 'node:http';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { createLogger, type Logger } from '../../../lib/logger.ts';
import { LOG_LEVELS, type LogLevel } from '../../../lib/config.ts';
import { startBroker, type EmbeddedBrokerOptions } from './index.ts';
import { brokerRegistry } from './metrics.ts';
import { TOPIC_PARTITIONS_MAX } from './limits.ts';
import { PaystreamError } from '../../../lib/errors.ts';


/** Upper bound of the millisecond flags: a day is far beyond any sensible interval. */
const DURATION_MS_MAX = 24 * 60 * 60 * 1000;

/** A bad command line; main prints it and exits 2. */
export class CliUsageError extends PaystreamError<'cli_usage'> {
  constructor(message: string, cause?: unknown) {
    super('cli_usage', message, cause === undefined ? {} : { cause });
    this.name = 'CliUsageError';
  }
}

function invalid(flag: string, expected: string, got: string | undefined): CliUsageError {
  return new CliUsageError(`${flag} must be ${expected}; got ${got === undefined ? 'nothing' : JSON.stringify(got)}`);
}

function parseIntArg(flag: string, text: string, min: number, max: number): number {
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) throw invalid(flag, `an integer in ${min}..${max}`, text);
  return value;
}

function parseArgv(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: {
        'data-dir': { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string', default: '127.0.0.1' },
        'advertised-host': { type: 'string' },
        'metrics-port': { type: 'string' },
        'default-partitions': { type: 'string' },
        'fsync-interval-ms': { type: 'string' },
        'transaction-check-interval-ms': { type: 'string' },
        'group-initial-rebalance-delay-ms': { type: 'string' },
        'log-cleanup-interval-ms': { type: 'string' },
        'no-auto-create-topics': { type: 'boolean', default: false },
        'log-level': { type: 'string', default: 'info' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    // node:util parseArgs reports unknown or malformed flags as TypeErrors with ERR_PARSE_ARGS_* codes.
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) throw new CliUsageError(err instanceof Error ? err.message : String(err), err);
    throw err;
  }
}

interface CliOptions {
  broker: EmbeddedBrokerOptions;
  metricsPort: number | undefined;
  logLevel: LogLevel;
}

export function parseCliArgs(argv: string[]): CliOptions {
  const { values } = parseArgv(argv);
  const dataDir = values['data-dir'];
  if (dataDir === undefined || dataDir === '') throw invalid('--data-dir', 'a directory path', dataDir);
  const logLevel = LOG_LEVELS.find((level) => level === values['log-level']);
  if (logLevel === undefined) throw invalid('--log-level', LOG_LEVELS.join('|'), values['log-level']);
  const broker: EmbeddedBrokerOptions = {
    dataDir,
    host: values.host,
    port: parseIntArg('--port', values.port ?? '9092', 0, 65535),
    autoCreateTopics: !values['no-auto-create-topics'],
  };
  if (values['advertised-host'] !== undefined) broker.advertisedHost = values['advertised-host'];
  if (values['default-partitions'] !== undefined) broker.defaultPartitions = parseIntArg('--default-partitions', values['default-partitions'], 1, TOPIC_PARTITIONS_MAX);
  const durations = [
    ['fsync-interval-ms', 'fsyncIntervalMs'],
    ['transaction-check-interval-ms', 'transactionCheckIntervalMs'],
    ['group-initial-rebalance-delay-ms', 'groupInitialRebalanceDelayMs'],
    ['log-cleanup-interval-ms', 'logCleanupIntervalMs'],
  ] as const;
  for (const [flag, field] of durations) {
    const text = values[flag];
    if (text !== undefined) broker[field] = parseIntArg(`--${flag}`, text, 0, DURATION_MS_MAX);
  }
  const metricsPort = values['metrics-port'] === undefined ? undefined : parseIntArg('--metrics-port', values['metrics-port'], 0, 65535);
  return { broker, metricsPort, logLevel };
}

async function startMetricsServer(host: string, port: number, logger: Logger): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    brokerRegistry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': brokerRegistry.contentType }).end(text),
      (err: unknown) => {
        logger.error({ err }, 'metrics collection failed');
        res.writeHead(500).end();
      },
    );
  });
  server.listen(port, host);
  await once(server, 'listening');
  return server;
}

/**
 * Runs the broker until SIGINT/SIGTERM, then closes it cleanly and resolves.
 * Exported for the `paystream broker` command.
 */
export async function runBrokerCli(argv: string[]): Promise<void> {
  const cli = parseCliArgs(argv);
  const logger = createLogger({ level: cli.logLevel, name: 'kafka-broker', destination: pino.destination({ dest: 1, sync: true }) });
  // Listen for signals before announcing: a supervisor may send SIGTERM the moment it reads the
  // listening line, and without a handler the default action would kill the broker uncleanly.
  const stopRequested = waitForStopSignal();
  const broker = await startBroker(cli.broker, { logger });
  const metrics = cli.metricsPort === undefined ? undefined : await startMetricsServer(cli.broker.host, cli.metricsPort, logger);
  fs.writeSync(1, `${JSON.stringify({ msg: 'broker listening', host: broker.host, port: broker.port, pid: process.pid })}\n`);
  if (metrics !== undefined) {
    const address = metrics.address();
    logger.info({ port: typeof address === 'object' && address !== null ? address.port : cli.metricsPort }, 'metrics endpoint listening');
  }
  const signal = await stopRequested;
  logger.info({ signal }, 'broker stopping');
  if (metrics !== undefined) metrics.close();
  await broker.close();
  logger.info('broker stopped');
}

/** Resolves on the first SIGINT or SIGTERM, then removes both handlers. */
function waitForStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const signals = ['SIGINT', 'SIGTERM'] as const;
    const handlers = signals.map((signal) => {
      const handler = (): void => {
        signals.forEach((s, i) => process.off(s, handlers[i] ?? handler));
        resolve(signal);
      };
      process.on(signal, handler);
      return handler;
    });
  });
}

const invokedDirectly = process.argv[1] !== undefined && fs.realpathSync(process.argv[1]) === fs.realpathSync(fileURLToPath(import.meta.url));
if (invokedDirectly) {
  runBrokerCli(process.argv.slice(2)).then(
    () => process.exit(0),
    (err: unknown) => {
      if (err instanceof CliUsageError) {
        process.stderr.write(`${err.message}\n`);
        process.exit(2);
      }
      process.stderr.write(`broker failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
