/**
 * Applies the SQL migrations in ops/migrations/sql with node-pg-migrate: it records what ran in
 * its own table, takes an advisory lock so two starting processes cannot migrate at once, and
 * runs each file in a transaction. Chosen over a hand-written runner for exactly those three.
 */
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import type { Logger } from '../../lib/logger.ts';
import type { Secret } from '../../lib/secret.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('./sql', import.meta.url));
export const MIGRATIONS_TABLE = 'paystream_migrations';

export interface MigrationResult {
  applied: string[];
}

export async function migrateUp(databaseUrl: Secret, logger: Logger): Promise<MigrationResult> {
  const log = logger.child({ component: 'migrations' });
  const ran = await runner({
    databaseUrl: databaseUrl.reveal(),
    dir: MIGRATIONS_DIR,
    migrationsTable: MIGRATIONS_TABLE,
    direction: 'up',
    checkOrder: true,
    singleTransaction: true,
    verbose: false,
    logger: {
      debug: (msg: string) => log.debug(msg),
      info: (msg: string) => log.debug(msg),
      warn: (msg: string) => log.warn(msg),
      error: (msg: string) => log.error(msg),
    },
  });
  const applied = ran.map((m) => m.name);
  if (applied.length > 0) log.info({ applied }, 'applied database migrations');
  return { applied };
}
