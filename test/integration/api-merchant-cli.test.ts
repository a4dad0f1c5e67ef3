/**
 * `paystream merchant create` against embedded PostgreSQL: prints the key id and secret once,
 * stores only the sealed secret, and uses the master key generated under the data dir.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { resolveMasterKey } from '../../api/merchants/master-key.ts';
import { MerchantStore } from '../../api/merchants/store.ts';
import { createLogger } from '../../lib/logger.ts';
import { createPool } from '../../lib/postgres.ts';
import { startPostgres } from '../../ops/embedded/postgres.ts';
import { migrateUp } from '../../ops/migrations/migrate.ts';
import { tempDir } from '../helpers/wait.ts';

const CLI = join(import.meta.dirname, '../../ops/cli/main.ts');
const run = promisify(execFile);

test('merchant create prints a key id and secret once and stores the secret sealed', { timeout: 60_000 }, async (t) => {
  const dir = tempDir('merchant-cli', t);
  chmodSync(dir.path, 0o711);
  const logger = createLogger({ level: 'silent' });
  const pg = await startPostgres({ dataDir: join(dir.path, 'pg'), host: '127.0.0.1', logger });
  t.after(() => pg.stop());
  await migrateUp(pg.url, logger);
  const dataDir = join(dir.path, 'data');
  const env = { ...process.env, DATABASE_URL: pg.url.reveal(), PAYSTREAM_DATA_DIR: dataDir, PAYSTREAM_MASTER_KEY: '', LOG_LEVEL: 'silent' };
  const { stdout } = await run(process.execPath, ['--import', 'tsx', CLI, 'merchant', 'create', '--name', 'Corner Shop', '--webhook-url', 'https://shop.example/hooks'], { env });
  const keyId = /key id:\s+(pk_\w+)/.exec(stdout)?.[1];
  const secret = /secret:\s+(sk_[\w-]+)/.exec(stdout)?.[1];
  assert.ok(keyId !== undefined && secret !== undefined, stdout);

  const pool = createPool({ url: pg.url, logger, applicationName: 'merchant-cli-test' });
  t.after(() => pool.end());
  const { rows } = await pool.query<{ name: string; webhook_url: string; secret_ciphertext: Buffer }>('SELECT name, webhook_url, secret_ciphertext FROM merchants WHERE key_id = $1', [keyId]);
  assert.equal(rows[0]?.name, 'Corner Shop');
  assert.equal(rows[0]?.webhook_url, 'https://shop.example/hooks');
  assert.ok(!rows[0]?.secret_ciphertext.toString('latin1').includes(secret.slice(3)));
  const store = new MerchantStore(pool, resolveMasterKey({ masterKey: undefined }, dataDir));
  assert.equal((await store.byKeyId(keyId))?.secret.reveal(), secret);

  const refused = await run(process.execPath, ['--import', 'tsx', CLI, 'merchant', 'create', '--name', 'x', '--webhook-url', 'ftp://nope'], { env }).then(
    () => assert.fail('an ftp webhook URL was accepted'),
    (err: { code: number; stderr: string }) => err,
  );
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /webhook URL/);
});
