/**
 * pino, configured once. Redaction covers credentials, signatures and card data wherever they
 * appear in a logged object (top level and nested up to three levels), so a careless
 * `log.info({ req })` cannot leak them.
 */
import { pino, type ChildLoggerOptions, type Logger, type LoggerOptions } from 'pino';
import type { LogLevel } from './config.ts';

export type { Logger } from 'pino';

const SENSITIVE_KEYS = [
  'authorization',
  'password',
  'secret',
  'webhookSecret',
  'apiSecret',
  'masterKey',
  'token',
  'signature',
  'cardNumber',
  'pan',
  'cvv',
  'cvc',
  'expiry',
  'x-paystream-signature',
  'x-signature',
  'cookie',
];

function redactPaths(): string[] {
  const paths: string[] = [];
  for (const key of SENSITIVE_KEYS) {
    const k = /^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`;
    const join = (prefix: string) => (k.startsWith('[') ? `${prefix}${k}` : `${prefix}.${k}`);
    paths.push(k.startsWith('[') ? k.slice(2, -2) : k, join('*'), join('*.*'), join('*.*.*'));
  }
  return paths;
}

export const REDACTED = '[redacted]';

export function createLogger(options: { level: LogLevel; name?: string; destination?: pino.DestinationStream }): Logger {
  const config: LoggerOptions = {
    level: options.level,
    redact: { paths: redactPaths(), censor: REDACTED },
    base: { pid: process.pid, ...(options.name === undefined ? {} : { name: options.name }) },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return options.destination === undefined ? pino(config) : pino(config, options.destination);
}

type LogMethod = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
type Bindings = Record<string, unknown>;
type ChildOptions = ChildLoggerOptions<never>;

/**
 * A child logger that is only built when something is logged through it. pino builds a child's
 * bindings eagerly, redaction included, which is measurable when a server makes one per request
 * and most requests never log; this defers that work to the first line (fastify's
 * `childLoggerFactory`). Lines carry exactly the bindings an eager child would.
 */
export class LazyChildLogger {
  private built: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Bindings,
    private readonly options: ChildOptions = {},
  ) {}

  private get logger(): Logger {
    this.built ??= this.parent.child(this.bindings, this.options);
    return this.built;
  }

  get level(): string {
    return this.built?.level ?? this.options?.level ?? this.parent.level;
  }

  set level(level: string) {
    this.logger.level = level;
  }

  isLevelEnabled(level: string): boolean {
    return this.built?.isLevelEnabled(level) ?? (this.options?.level === undefined ? this.parent.isLevelEnabled(level) : this.logger.isLevelEnabled(level));
  }

  child(bindings: Bindings, options?: ChildOptions): Logger {
    return this.logger.child(bindings, options);
  }

  private write(method: LogMethod, args: unknown[]): void {
    // A line below the level never builds the child.
    if (!this.isLevelEnabled(method)) return;
    (this.logger[method] as (...a: unknown[]) => void)(...args);
  }

  fatal(...args: unknown[]): void {
    this.write('fatal', args);
  }

  error(...args: unknown[]): void {
    this.write('error', args);
  }

  warn(...args: unknown[]): void {
    this.write('warn', args);
  }

  info(...args: unknown[]): void {
    this.write('info', args);
  }

  debug(...args: unknown[]): void {
    this.write('debug', args);
  }

  trace(...args: unknown[]): void {
    this.write('trace', args);
  }

  silent(): void {}
}
