/** A ledger processor in its own process, for tests that SIGKILL it. Prints `ledger running` once consuming. */
import { parseArgs } from 'node:util';
import { Registry } from 'prom-client';
import { createKafka } from '../../../lib/kafka.ts';
import { createLogger } from '../../../lib/logger.ts';
import { createPool } from '../../../lib/postgres.ts';
import { Secret } from '../../../lib/secret.ts';
import { AvroCodec } from '../../../schemas/codec.ts';
import { createLedgerProcessor } from '../processor.ts';

const { values } = parseArgs({ options: { bootstrap: { type: 'string' }, registry: { type: 'string' }, topic: { type: 'string' }, group: { type: 'string' } } });
const need = (v: string | undefined, what: string): string => {
  if (v === undefined) throw new Error(`--${what} is required`);
  return v;
};
const logger = createLogger({ level: 'info' });
const pool = createPool({ url: new Secret(need(process.env.LEDGER_DATABASE_URL, 'LEDGER_DATABASE_URL')), logger, applicationName: 'ledger-child' });
const ledger = createLedgerProcessor({
  kafka: createKafka({ brokers: [need(values.bootstrap, 'bootstrap')], clientId: 'ledger-child', logger }),
  codec: new AvroCodec({ registryUrl: need(values.registry, 'registry'), clientId: 'ledger-child', autoRegister: false }),
  pool,
  logger,
  registry: new Registry(),
  rounding: 'HALF_UP',
  groupId: need(values.group, 'group'),
  topic: need(values.topic, 'topic'),
  sessionTimeoutMs: 6_000,
});
process.once('SIGTERM', () => {
  void ledger.stop().then(() => pool.end()).then(() => process.exit(0));
});
await ledger.start();
logger.info('ledger running');
