/**
 * The one PostgreSQL adapter: the only application module that imports pg. Pools are created
 * here with every option written out, so a client library swap or a pool setting change happens
 * in one place.
 */
import pg from 'pg';
import type { Logger } from './logger.ts';
import type { Secret } from './secret.ts';

export type { PoolClient, QueryResult, QueryResultRow } from 'pg';
export type Pool = pg.Pool;

/** Connections per process; the API holds one only for a short insert-produce-commit step. */
export const POSTGRES_POOL_SIZE_DEFAULT = 10;
export const POSTGRES_CONNECT_TIMEOUT_MS = 3_000;
/** A query that takes longer is cancelled by the server: no request waits on a stuck lock forever. */
export const POSTGRES_STATEMENT_TIMEOUT_MS = 5_000;
export const POSTGRES_IDLE_TIMEOUT_MS = 30_000;

export interface PostgresOptions {
  url: Secret;
  logger: Logger;
  applicationName: string;
  poolSize?: number;
}

export function createPool(options: PostgresOptions): Pool {
  const pool = new pg.Pool({
    connectionString: options.url.reveal(),
    max: options.poolSize ?? POSTGRES_POOL_SIZE_DEFAULT,
    connectionTimeoutMillis: POSTGRES_CONNECT_TIMEOUT_MS,
    idleTimeoutMillis: POSTGRES_IDLE_TIMEOUT_MS,
    statement_timeout: POSTGRES_STATEMENT_TIMEOUT_MS,
    application_name: options.applicationName,
    allowExitOnIdle: false,
  });
  // An idle client losing its connection emits here; without a listener the process would crash.
  pool.on('error', (err) => options.logger.warn({ err }, 'idle PostgreSQL connection failed'));
  return pool;
}

/** Runs `work` in a transaction on one pooled connection; rolls back on any failure. */
export async function inTransaction<T>(pool: Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** PostgreSQL's SQLSTATE for a unique constraint violation. */
export const UNIQUE_VIOLATION = '23505';

export function sqlState(err: unknown): string | undefined {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

/**
 * SQLSTATE classes and codes after which the same transaction may well succeed when run again:
 * a unique key taken by a concurrent writer, serialization failures and deadlocks, and the
 * connection-level classes (08 connection exception, 57P0x shutdown, 53 insufficient resources).
 */
const RETRIABLE_SQLSTATES = new Set([UNIQUE_VIOLATION, '40001', '40P01', '55P03', '57P01', '57P02', '57P03']);
const RETRIABLE_SQLSTATE_CLASSES = ['08', '53'];

/**
 * Whether a failed database call is worth retrying. The server reports SQL errors with a
 * five-character SQLSTATE: only the transient ones above are retried. Anything else (a socket
 * error code such as ECONNREFUSED, or pg's own connection errors, which carry no code) happened
 * on the way to the server, not in the query: transient.
 */
export function isTransientPostgresError(err: unknown): boolean {
  const code = sqlState(err);
  if (code === undefined || !/^[0-9A-Z]{5}$/.test(code)) return true;
  if (RETRIABLE_SQLSTATES.has(code)) return true;
  return RETRIABLE_SQLSTATE_CLASSES.some((c) => code.startsWith(c));
}
