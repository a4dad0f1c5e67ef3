/**
 * pino, configured once. Redaction covers credentials, signatures and card data wherever they
 * appear in a logged object (top level and nested up to three levels), so a careless
 * `log.info({ req })` cannot leak them.
 */
import { pino, type Logger, type LoggerOptions } from 'pino';
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
