import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createLogger } from '../../lib/logger.ts';
import { startSchemaRegistry } from '../embedded/schema-registry/index.ts';
import { AvroCodec } from '../../schemas/codec.ts';
import { SAMPLES } from '../../schemas/samples.ts';
import { ROUTER_TOPICS } from '../../streams/router/processor.ts';
import { Scope, connectedAdmin, newKafka, startTestBroker, uniqueName } from '../../test/helpers/kafkajs.ts';
import { tempDir } from '../../test/helpers/wait.ts';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const logger = createLogger({ level: 'silent' });
let scope: Scope;
let env: NodeJS.ProcessEnv;
let dir: string;

after(() => scope.close());

before(async () => {
  scope = new Scope({ after: () => undefined });
  const { bootstrap } = await startTestBroker(scope, { groupInitialRebalanceDelayMs: 0 });
  const schemas = await startSchemaRegistry({ kafkaBrokers: [bootstrap], host: '127.0.0.1', port: 0, logger, topic: uniqueName('schemas') });
  scope.defer('close registry', () => schemas.close());
  const admin = await connectedAdmin(scope, newKafka(bootstrap));
  await admin.createTopics({ topics: [{ topic: ROUTER_TOPICS.rules, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] });
  // Production registers schemas ahead of deploys; the CLI with a configured registry does not.
  await new AvroCodec({ registryUrl: schemas.url, clientId: 'register', autoRegister: true }).encode(ROUTER_TOPICS.rules, 'RoutingRule', SAMPLES.RoutingRule);
  const tmp = tempDir('routing-cli');
  scope.defer('remove temp dir', () => tmp.remove());
  dir = tmp.path;
  env = { ...process.env, PAYSTREAM_DATA_DIR: dir, LOG_LEVEL: 'error', KAFKA_BROKERS: bootstrap, SCHEMA_REGISTRY_URL: schemas.url, DATABASE_URL: 'postgres://unused@127.0.0.1:9/unused', REDIS_URL: 'redis://127.0.0.1:9' };
});

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', MAIN, 'routing', ...args], { env, timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

test('paystream routing validates, writes with the next version, lists, shows and deletes rules in the config topic', async () => {
  const file = join(dir, 'rules.json');
  writeFileSync(file, JSON.stringify([
    { ruleId: 'eu-cards', priority: 10, currency: 'EUR', method: 'CARD', maxAmountMinor: '50000', timeWindow: { startMinute: 480, endMinute: 1320, timeZone: 'Europe/Berlin' }, arms: [{ armId: 'scored', strategy: 'SCORED', weightPercent: 50 }, { armId: 'fixed', channelId: 'acq_alpha', fallbackChannelIds: ['acq_beta'], weightPercent: 50 }] },
    { ruleId: 'wallets', priority: 20, method: 'WALLET_A', arms: [{ channelId: 'wallet_a' }] },
  ]));
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ ruleId: 'bad', priority: 1, currency: 'eu', arms: [{ channelId: 'acq_zeta', weightPercent: 40 }] }));

  const invalid = await cli('validate', bad);
  assert.equal(invalid.code, 1);
  assert.match(invalid.stdout, /currency must be an ISO 4217 code/);
  assert.match(invalid.stdout, /unknown channel "acq_zeta"/);
  assert.match(invalid.stdout, /sum to 100; got 40/);
  const refused = await cli('put', bad);
  assert.equal(refused.code, 1, 'an invalid rule is not written');
  assert.match(refused.stderr, /rule_invalid/);

  assert.match((await cli('validate', file)).stdout, /eu-cards: valid\nwallets: valid/);
  assert.equal((await cli('put', file)).stdout, 'written eu-cards@1\nwritten wallets@1\n');
  assert.equal((await cli('put', file, '--by', 'alice')).stdout, 'written eu-cards@2\nwritten wallets@2\n');
  const listed = await cli('list');
  assert.match(listed.stdout, /^eu-cards@2 .*currency=EUR.*scored:50% scored, fixed:50% acq_alpha>acq_beta\nwallets@2 /);
  assert.doesNotMatch(listed.stdout, /bad/);
  const shown = JSON.parse((await cli('show', 'wallets')).stdout) as { version: number; updatedBy: string };
  assert.equal(shown.version, 2);
  assert.equal(shown.updatedBy, 'alice');
  assert.equal((await cli('delete', 'wallets')).stdout, 'deleted wallets\n');
  assert.doesNotMatch((await cli('list')).stdout, /wallets/);
  assert.equal((await cli('delete', 'wallets')).code, 1);
});
