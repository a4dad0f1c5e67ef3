/**
 * A real PostgreSQL for a test file: embedded binaries in a temp directory, migrations applied,
 * a pool to it; `close()` stops it and removes the directory.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../lib/logger.ts';
import { createPool, type Pool } from '../../lib/postgres.ts';
import type { Secret } from '../../lib/secret.ts';
import { startPostgres } from '../../ops/embedded/postgres.ts';
import { migrateUp } from '../../ops/migrations/migrate.ts';

export interface TestPostgres {
  url: Secret;
  pool: Pool;
  close(): Promise<void>;
}

export async function startTestPostgres(options: { poolSize?: number } = {}): Promise<TestPostgres> {
  const logger = createLogger({ level: 'silent' });
  const dir = mkdtempSync(join(tmpdir(), 'paystream-pg-'));
  // As root, PostgreSQL runs as the postgres user, which must be able to reach its directory inside.
  chmodSync(dir, 0o711);
  const pg = await startPostgres({ dataDir: join(dir, 'postgres'), host: '127.0.0.1', logger });
  try {
    await migrateUp(pg.url, logger);
  } catch (err) {
    await pg.stop();
    throw err;
  }
  const pool = createPool({ url: pg.url, logger, applicationName: 'paystream-test', poolSize: options.poolSize ?? 10 });
  return {
    url: pg.url,
    pool,
    async close() {
      await pool.end();
      await pg.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
