/**
 * A result processor in its own process, for tests that SIGKILL it. Topics are `<prefix>.<name>`
 * for each input and output; prints `result running` (a JSON log line) once it consumes.
 */
import { parseArgs } from 'node:util';
import { Registry } from 'prom-client';
import { createKafka } from '../../../lib/kafka.ts';
import { createLogger } from '../../../lib/logger.ts';
import { createPool } from '../../../lib/postgres.ts';
import { Secret } from '../../../lib/secret.ts';
import { AvroCodec } from '../../../schemas/codec.ts';
import { createResultProcessor } from '../processor.ts';
import { prefixedTopics } from './topics.ts';

const { values } = parseArgs({ options: { bootstrap: { type: 'string' }, registry: { type: 'string' }, prefix: { type: 'string' }, name: { type: 'string' } } });
const need = (v: string | undefined, what: string): string => {
  if (v === undefined) throw new Error(`--${what} is required`);
  return v;
};
const logger = createLogger({ level: 'info' });
const pool = createPool({ url: new Secret(need(process.env.RESULT_DATABASE_URL, 'RESULT_DATABASE_URL')), logger, applicationName: 'result-child' });
const topics = prefixedTopics(need(values.prefix, 'prefix'));
const processor = createResultProcessor({
  name: need(values.name, 'name'),
  kafka: createKafka({ brokers: [need(values.bootstrap, 'bootstrap')], clientId: 'result-child', logger }),
  codec: new AvroCodec({ registryUrl: need(values.registry, 'registry'), clientId: 'result-child', autoRegister: true }),
  pool,
  logger,
  registry: new Registry(),
  inputs: topics.inputs,
  outputs: topics.outputs,
  runtime: { group: { sessionTimeoutMs: 6_000, rebalanceTimeoutMs: 5_000, heartbeatIntervalMs: 300, maxWaitTimeMs: 200 } },
});
process.once('SIGTERM', () => {
  void processor.stop().then(() => pool.end()).then(() => process.exit(0));
});
await processor.start();
logger.info('result running');
