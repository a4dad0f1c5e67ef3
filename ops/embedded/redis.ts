/**
 * Embedded Redis: the operating system's redis-server on loopback and a free port, with an
 * append-only file under the data directory so data survives restarts. When redis-server is
 * missing on Debian/Ubuntu as root, it is installed with apt-get (announced first); elsewhere the
 * error says how to install it or to point REDIS_URL at a server.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Redis } from 'ioredis';
import { PaystreamError } from '../../lib/errors.ts';
import { Secret } from '../../lib/secret.ts';
import type { Logger } from '../../lib/logger.ts';
import { waitUntil } from '../../lib/wait.ts';
import { startProcess } from './processes.ts';
import { freePort } from './ports.ts';

const REDIS_START_TIMEOUT_MS = 20_000;
/** Redis writes its append-only file and exits on SIGTERM; a large AOF may take a moment. */
const REDIS_STOP_GRACE_MS = 10_000;

export interface EmbeddedRedis {
  readonly url: Secret;
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

function which(command: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  const path = found.stdout.trim();
  return found.status === 0 && path !== '' ? path : undefined;
}

function isDebianLike(): boolean {
  if (!existsSync('/etc/os-release')) return false;
  return /^(ID|ID_LIKE)=.*\b(debian|ubuntu)\b/m.test(readFileSync('/etc/os-release', 'utf8'));
}

/** Finds redis-server, installing it on Debian/Ubuntu as root; otherwise explains what to do. */
export function ensureRedisServer(logger: Logger): string {
  const found = which('redis-server');
  if (found !== undefined) return found;
  if (isDebianLike() && process.getuid?.() === 0 && which('apt-get') !== undefined) {
    logger.warn('redis-server is not installed: installing the Debian package redis-server with apt-get');
    // A fresh machine may have no package lists yet.
    execFileSync('apt-get', ['update', '-q'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    execFileSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'redis-server'], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    const installed = which('redis-server');
    if (installed !== undefined) return installed;
  }
  throw new PaystreamError(
    'redis_missing',
    'redis-server was not found. Install it (Debian/Ubuntu: `sudo apt-get install redis-server`, macOS: `brew install redis`) or set REDIS_URL to a running Redis.',
  );
}

export async function startRedis(options: { dataDir: string; host: string; logger: Logger }): Promise<EmbeddedRedis> {
  const logger = options.logger.child({ service: 'redis' });
  const binary = ensureRedisServer(logger);
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const port = await freePort(options.host);
  const proc = startProcess(
    binary,
    [
      '--port', String(port),
      '--bind', options.host,
      '--dir', dataDir,
      '--appendonly', 'yes',
      '--appendfsync', 'everysec',
      '--save', '',
      '--daemonize', 'no',
      '--protected-mode', 'yes',
      '--logfile', '',
    ],
    { name: 'redis', logger },
  );
  const url = `redis://${options.host}:${port}`;
  const early = proc.exited.then(({ code, signal }) => {
    throw new Error(`redis-server exited during start (code ${code}, signal ${signal}):\n${proc.outputTail()}`);
  });
  early.catch(() => undefined);
  await Promise.race([
    early,
    waitUntil(
      async () => {
        const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
        client.on('error', () => undefined);
        try {
          await client.connect();
          // While loading the AOF after a restart Redis answers LOADING; PING succeeds only once ready.
          return (await client.ping()) === 'PONG' ? true : undefined;
        } finally {
          client.disconnect();
        }
      },
      { timeoutMs: REDIS_START_TIMEOUT_MS, intervalMs: 50, what: 'redis-server to answer PING' },
    ),
  ]);
  logger.info({ port, pid: proc.pid }, 'Redis is ready');
  return { url: new Secret(url), port, pid: proc.pid, stop: () => proc.stop('SIGTERM', REDIS_STOP_GRACE_MS) };
}
