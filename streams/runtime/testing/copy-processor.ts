/**
 * A copy processor as its own process, for tests that SIGKILL it: copies every record of
 * `--input` to `--output` with the same key and value through the transactional runtime.
 * Announces itself on stdout with a JSON line `{"msg":"processor running"}`; SIGTERM stops it
 * gracefully.
 *
 *   node --import tsx streams/runtime/testing/copy-processor.ts --bootstrap h:p --input a --output b --name copy
 */
import { parseArgs } from 'node:util';
import { Registry } from 'prom-client';
import { createKafka } from '../../../lib/kafka.ts';
import { createLogger } from '../../../lib/logger.ts';
import { bytesCodec } from '../codecs.ts';
import { createProcessor } from '../processor.ts';
import type { Handler } from '../types.ts';

const { values } = parseArgs({
  options: {
    bootstrap: { type: 'string' },
    input: { type: 'string' },
    output: { type: 'string' },
    name: { type: 'string' },
    'transaction-records-max': { type: 'string' },
    'key-concurrency': { type: 'string' },
    'log-level': { type: 'string' },
  },
});

function required(name: string, value: string | undefined): string {
  if (value === undefined || value === '') throw new Error(`--${name} is required`);
  return value;
}

const bootstrap = required('bootstrap', values.bootstrap);
const output = required('output', values.output);
const level = values['log-level'] === 'debug' ? 'debug' : values['log-level'] === 'warn' ? 'warn' : 'info';
const logger = createLogger({ level, name: 'copy-processor' });
// Tests run the broker on one machine with short timings: short client retries keep a restart quick.
const kafka = createKafka({ brokers: [bootstrap], clientId: 'copy-processor', logger: logger.child({}, { level: 'error' }), retry: { retries: 10, initialRetryTimeMs: 100, maxRetryTimeMs: 1_000 } });

const copy: Handler<Buffer, Buffer> = async (record) => [{ topic: output, key: record.key, value: record.value }];

const processor = createProcessor<Buffer, Buffer>({
  name: required('name', values.name),
  kafka,
  topics: [required('input', values.input)],
  handler: copy,
  decoder: bytesCodec,
  encoder: bytesCodec,
  logger,
  registry: new Registry(),
  group: { sessionTimeoutMs: 6_000, rebalanceTimeoutMs: 6_000, heartbeatIntervalMs: 500, maxWaitTimeMs: 200 },
  ...(values['transaction-records-max'] === undefined ? {} : { transactionRecordsMax: Number(values['transaction-records-max']) }),
  ...(values['key-concurrency'] === undefined ? {} : { keyConcurrency: Number(values['key-concurrency']) }),
});

process.once('SIGTERM', () => {
  void processor.stop().then(() => process.exit(0));
});
await processor.start();
