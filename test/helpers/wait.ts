/**
 * Test helpers for waiting on conditions with a deadline (never a fixed sleep), finding a free
 * TCP port and owning a temporary directory that is removed when the test ends.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Default poll interval: short enough for fast tests, long enough not to hog a shared CPU. */
const WAIT_INTERVAL_MS_DEFAULT = 25;

export interface WaitOptions {
  /** The deadline; waitFor rejects once it has passed without the condition holding. */
  timeoutMs: number;
  intervalMs?: number;
  /** What was awaited, for the failure message; a function is evaluated only on failure. */
  message: string | (() => string);
}

/** Thrown when a condition did not hold before its deadline. */
export class WaitTimeoutError extends Error {
  readonly code = 'wait_timeout' as const;
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WaitTimeoutError';
  }
}

/**
 * Polls `cond` until it returns a value other than false/undefined/null, and returns that value.
 * A condition that throws counts as "not yet"; the last error becomes the timeout's cause, so a
 * failure shows why the condition never held.
 */
export async function waitFor<T>(
  cond: () => T | false | undefined | null | Promise<T | false | undefined | null>,
  options: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  const intervalMs = options.intervalMs ?? WAIT_INTERVAL_MS_DEFAULT;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await cond();
      if (value !== false && value !== undefined && value !== null) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const what = typeof options.message === 'function' ? options.message() : options.message;
      const why = lastError === undefined ? '' : ` (last error: ${describeError(lastError)})`;
      throw new WaitTimeoutError(`timed out after ${options.timeoutMs} ms waiting for ${what}${why}`, { cause: lastError });
    }
    await delay(Math.min(intervalMs, Math.max(1, deadline - Date.now())));
  }
}

/** Resolves after `ms`; only for poll intervals inside waitFor-style loops, never as a test sleep. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Rejects with WaitTimeoutError if `promise` does not settle within `timeoutMs`. */
export async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new WaitTimeoutError(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const type = (err as { type?: unknown }).type;
    const tags = [err.name, typeof code === 'string' || typeof code === 'number' ? `code=${code}` : '', typeof type === 'string' ? `type=${type}` : '']
      .filter((s) => s !== '')
      .join(' ');
    return `${tags}: ${err.message}`;
  }
  return String(err);
}

/**
 * A TCP port that was free a moment ago on `host`. Another process may take it before the caller
 * binds it; prefer port 0 where the server reports its port, and use this only where a fixed port
 * must survive a restart.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error(`unexpected server address ${String(address)}`));
        return;
      }
      const { port } = address;
      server.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

/** Something that runs a callback when the test ends: node:test's TestContext (`t.after`). */
export interface TestOwner {
  after(fn: () => unknown): void;
}

export interface TempDir {
  readonly path: string;
  /** Removes the directory and everything in it; safe to call twice. */
  remove(): void;
}

/**
 * A fresh directory under the OS temp dir. With an owner (the test context) it is removed when
 * the test ends; set KEEP_TEST_DIRS=1 to keep it for a post-mortem.
 */
export function tempDir(prefix: string, owner?: TestOwner): TempDir {
  const path = mkdtempSync(join(tmpdir(), `${prefix.replace(/[^a-zA-Z0-9_-]/g, '-')}-`));
  let removed = false;
  const dir: TempDir = {
    path,
    remove() {
      if (removed) return;
      removed = true;
      // The one environment read in test helpers: a debugging switch, not configuration.
      if (process.env.KEEP_TEST_DIRS === '1') return;
      rmSync(path, { recursive: true, force: true, maxRetries: 3 });
    },
  };
  owner?.after(() => dir.remove());
  return dir;
}
