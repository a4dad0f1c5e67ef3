/**
 * Command line of the embedded schema registry, in the foreground until SIGINT or SIGTERM:
 *
 *   tsx ops/embedded/schema-registry/main.ts --kafka-brokers HOST:PORT[,HOST:PORT] [--host H] [--port P]
 *       [--topic _schemas] [--replication-factor N] [--log-level L]
 *
 * Once listening it writes exactly one line `{"msg":"registry listening","host":…,"port":…,"pid":…}`
 * to stdout; supervisors and tests wait for it. Logs are pino JSON lines on stdout too.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { LOG_LEVELS, type LogLevel } from '../../../lib/config.ts';
import { PaystreamError } from '../../../lib/errors.ts';
import { createLogger } from '../../../lib/logger.ts';
import { startSchemaRegistry, type SchemaRegistryOptions } from './index.ts';

/** Replication beyond a 5-node cluster's size is surely a typo. */
const REPLICATION_FACTOR_MAX = 5;

export class RegistryUsageError extends PaystreamError<'cli_usage'> {
  constructor(message: string, cause?: unknown) {
    super('cli_usage', message, cause === undefined ? {} : { cause });
    this.name = 'RegistryUsageError';
  }
}

function invalid(flag: string, expected: string, got: string | undefined): RegistryUsageError {
  return new RegistryUsageError(`${flag} must be ${expected}; got ${got === undefined ? 'nothing' : JSON.stringify(got)}`);
}

function intArg(flag: string, text: string, min: number, max: number): number {
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) throw invalid(flag, `an integer in ${min}..${max}`, text);
  return value;
}

export function parseRegistryArgs(argv: string[]): { options: Omit<SchemaRegistryOptions, 'logger'>; logLevel: LogLevel } {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        'kafka-brokers': { type: 'string' },
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: '8081' },
        topic: { type: 'string' },
        'replication-factor': { type: 'string', default: '1' },
        'log-level': { type: 'string', default: 'info' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    // node:util parseArgs reports unknown or malformed flags as TypeErrors with ERR_PARSE_ARGS_* codes.
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) throw new RegistryUsageError(err instanceof Error ? err.message : String(err), err);
    throw err;
  }
  const brokers = (values['kafka-brokers'] ?? '').split(',').map((b) => b.trim()).filter((b) => b !== '');
  if (brokers.length === 0 || brokers.some((b) => !/^[^:\s]+:\d{1,5}$/.test(b))) throw invalid('--kafka-brokers', 'a comma-separated list of host:port', values['kafka-brokers']);
  const logLevel = LOG_LEVELS.find((l) => l === values['log-level']);
  if (logLevel === undefined) throw invalid('--log-level', LOG_LEVELS.join('|'), values['log-level']);
  const options: Omit<SchemaRegistryOptions, 'logger'> = {
    kafkaBrokers: brokers,
    host: values.host,
    port: intArg('--port', values.port, 0, 65535),
    replicationFactor: intArg('--replication-factor', values['replication-factor'], 1, REPLICATION_FACTOR_MAX),
  };
  if (values.topic !== undefined) options.topic = values.topic;
  return { options, logLevel };
}

export async function runRegistryCli(argv: string[]): Promise<void> {
  const { options, logLevel } = parseRegistryArgs(argv);
  const logger = createLogger({ level: logLevel, name: 'schema-registry', destination: pino.destination({ dest: 1, sync: true }) });
  const registry = await startSchemaRegistry({ ...options, logger });
  fs.writeSync(1, `${JSON.stringify({ msg: 'registry listening', host: registry.host, port: registry.port, pid: process.pid })}\n`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  logger.info({ signal }, 'schema registry stopping');
  await registry.close();
  logger.info('schema registry stopped');
}

const invokedDirectly = process.argv[1] !== undefined && fs.realpathSync(process.argv[1]) === fs.realpathSync(fileURLToPath(import.meta.url));
if (invokedDirectly) {
  runRegistryCli(process.argv.slice(2)).then(
    () => process.exit(0),
    (err: unknown) => {
      if (err instanceof RegistryUsageError) {
        process.stderr.write(`${err.message}\n`);
        process.exit(2);
      }
      process.stderr.write(`schema registry failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
