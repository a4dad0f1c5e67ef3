/**
 * Runs the embedded broker as a child process (`ops/embedded/kafka/main.ts`), so tests can
 * SIGKILL it, restart it on the same data directory and port, and check it survives abuse.
 * The child announces itself with one JSON log line holding `"msg":"broker listening"` and
 * `"port"`; SIGTERM stops it cleanly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestOwner } from './wait.ts';
import { withTimeout } from './wait.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN_PATH = fileURLToPath(new URL('../../ops/embedded/kafka/main.ts', import.meta.url));

/** tsx compiles the broker on start; on two shared cores that can take several seconds. */
const START_TIMEOUT_MS_DEFAULT = 30_000;
/** A clean SIGTERM shutdown closes sockets and fsyncs logs; past this we SIGKILL. */
const STOP_TIMEOUT_MS_DEFAULT = 10_000;
/** Output kept for failure messages; older output is dropped so a chatty child cannot grow memory. */
const OUTPUT_KEEP_CHARS_MAX = 256 * 1024;
const LISTENING_MSG = 'broker listening';

export interface SpawnBrokerOptions {
  dataDir: string;
  /** 0 or absent: the broker picks one, and restarts reuse the port it picked. */
  port?: number;
  host?: string;
  extraArgs?: string[];
  /** Added to the parent's environment. */
  env?: Record<string, string>;
  startTimeoutMs?: number;
  /** The test context: the child is killed when the test ends. */
  owner?: TestOwner;
  /** Script to run instead of the broker's main.ts (for testing this helper). */
  entryPath?: string;
}

export interface BrokerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A JSON log line the child wrote to stdout. */
export type BrokerLogLine = Record<string, unknown>;

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** A test process that dies must not leave brokers behind. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

export class BrokerProcess {
  readonly dataDir: string;
  readonly host: string;
  private readonly options: SpawnBrokerOptions;
  private child: ChildProcess | undefined;
  private exitPromise: Promise<BrokerExit> | undefined;
  private currentPort: number;
  private out = '';
  private lines: BrokerLogLine[] = [];
  private starts = 0;

  constructor(options: SpawnBrokerOptions) {
    this.options = options;
    this.dataDir = options.dataDir;
    this.host = options.host ?? '127.0.0.1';
    this.currentPort = options.port ?? 0;
    options.owner?.after(() => this.stop());
  }

  get port(): number {
    return this.currentPort;
  }

  get bootstrap(): string {
    return `${this.host}:${this.currentPort}`;
  }

  /** The pid of the running child; undefined once it has exited. */
  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Everything the child wrote (stdout and stderr, tagged), across restarts, for failure messages. */
  output(): string {
    return this.out;
  }

  /** Parsed JSON log lines from stdout, across restarts. */
  logLines(): readonly BrokerLogLine[] {
    return this.lines;
  }

  /** Starts the child and resolves once it reports that it listens. */
  async start(): Promise<void> {
    if (this.running) throw new Error(`broker already running (pid ${String(this.child?.pid)})`);
    installExitHook();
    this.starts += 1;
    const tag = `[start ${this.starts}]`;
    const args = ['--import', 'tsx', this.options.entryPath ?? MAIN_PATH, '--data-dir', this.dataDir, '--port', String(this.currentPort), '--host', this.host, ...(this.options.extraArgs ?? [])];
    const child = spawn(process.execPath, args, {
      cwd: REPO_ROOT,
      env: { ...process.env, ...this.options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    live.add(child);
    this.exitPromise = new Promise<BrokerExit>((resolve) => {
      child.once('exit', (code, signal) => {
        live.delete(child);
        this.append(`${tag} exited code=${String(code)} signal=${String(signal)}\n`);
        resolve({ code, signal });
      });
    });
    const listening = new Promise<number>((resolve, reject) => {
      let partial = '';
      child.stdout?.setEncoding('utf8');
      child.stdout?.on('data', (chunk: string) => {
        this.append(chunk);
        partial += chunk;
        let nl = partial.indexOf('\n');
        while (nl >= 0) {
          const line = partial.slice(0, nl);
          partial = partial.slice(nl + 1);
          const parsed = parseJsonLine(line);
          if (parsed !== undefined) {
            this.lines.push(parsed);
            if (parsed.msg === LISTENING_MSG && typeof parsed.port === 'number') resolve(parsed.port);
          }
          nl = partial.indexOf('\n');
        }
      });
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (chunk: string) => this.append(chunk));
      child.once('error', reject);
      void this.exitPromise?.then((exit) =>
        reject(new Error(`broker exited before listening (code=${String(exit.code)} signal=${String(exit.signal)})`)),
      );
    });
    try {
      this.currentPort = await withTimeout(listening, this.options.startTimeoutMs ?? START_TIMEOUT_MS_DEFAULT, `broker ${tag} to listen`);
    } catch (err) {
      child.kill('SIGKILL');
      await this.exitPromise;
      throw new Error(`broker failed to start: ${err instanceof Error ? err.message : String(err)}\n--- broker output ---\n${this.out}`, { cause: err });
    }
  }

  /** Sends `signal` and resolves when the child has exited (immediately if it is not running). */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<BrokerExit> {
    const child = this.child;
    const exit = this.exitPromise;
    if (child === undefined || exit === undefined) return { code: null, signal: null };
    if (this.running) child.kill(signal);
    return exit;
  }

  /** SIGTERM, then SIGKILL if the child has not exited within the stop timeout. */
  async stop(timeoutMs = STOP_TIMEOUT_MS_DEFAULT): Promise<BrokerExit> {
    const child = this.child;
    const exit = this.exitPromise;
    if (child === undefined || exit === undefined) return { code: null, signal: null };
    if (!this.running) return exit;
    child.kill('SIGTERM');
    try {
      return await withTimeout(exit, timeoutMs, 'broker to exit after SIGTERM');
    } catch (err) {
      this.append(`[stop] no exit ${timeoutMs} ms after SIGTERM; sending SIGKILL (${String(err)})\n`);
      child.kill('SIGKILL');
      return exit;
    }
  }

  /** Stops the child if it still runs (cleanly unless told otherwise) and starts it again on the same port and data. */
  async restart(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.running) {
      if (signal === 'SIGTERM') await this.stop();
      else await this.kill(signal);
    }
    await this.start();
  }

  private append(text: string): void {
    this.out += text;
    if (this.out.length > OUTPUT_KEEP_CHARS_MAX) this.out = this.out.slice(this.out.length - OUTPUT_KEEP_CHARS_MAX);
  }
}

function parseJsonLine(line: string): BrokerLogLine | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(trimmed);
    return typeof value === 'object' && value !== null ? (value as BrokerLogLine) : undefined;
  } catch (err) {
    // A partial or non-JSON line (e.g. a stack trace) is kept in output() but not parsed.
    void err;
    return undefined;
  }
}

/** Spawns the broker and waits until it listens. */
export async function spawnBroker(options: SpawnBrokerOptions): Promise<BrokerProcess> {
  const broker = new BrokerProcess(options);
  await broker.start();
  return broker;
}
