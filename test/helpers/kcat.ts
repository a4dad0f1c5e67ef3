/**
 * kcat and small librdkafka C programs as test clients: the librdkafka side of the broker's
 * conformance scenarios (spec §10). Every run is bounded by a timeout; long-running members
 * (`kcat -G`) are child processes a test can SIGKILL; C programs in
 * test/conformance/librdkafka/ are compiled once per test process into a temp dir.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrokerOptions } from '../../ops/embedded/kafka/contracts.ts';
import { Scope, startTestBroker } from './kafkajs.ts';
import type { TestOwner } from './wait.ts';
import { withTimeout } from './wait.ts';

export const KCAT = 'kcat';
const C_COMPILER = 'cc';
export const LIBRDKAFKA_PROGRAMS_DIR = fileURLToPath(new URL('../conformance/librdkafka/', import.meta.url));
const MOCK_CLUSTER_SOURCE = fileURLToPath(new URL('../../bench/c/mock-cluster.c', import.meta.url));
/** The mock cluster prints its bootstrap line at once; allow for compile-free start on a busy machine. */
const MOCK_START_TIMEOUT_MS = 10_000;

/** After a timeout a child gets SIGTERM (kcat closes its consumer cleanly), then SIGKILL past this. */
const TERM_GRACE_MS = 2_000;
/** Compiling one small C file takes well under a second; two shared cores can make it slower. */
const COMPILE_TIMEOUT_MS = 60_000;
/** Captured output kept per stream; a runaway child cannot grow test memory past this. */
const CAPTURE_CHARS_MAX = 16 * 1024 * 1024;

export interface ProcessResult {
  command: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Bytes written to stdout, also when it was not captured. */
  stdoutBytes: number;
  /** Newlines written to stdout, also when it was not captured (one per record with `-f '...\n'`). */
  stdoutLines: number;
  timedOut: boolean;
  durationMs: number;
}

export interface RunOptions {
  /** The whole run, after which the child is terminated and `timedOut` is set. */
  timeoutMs: number;
  /** Written to the child's stdin, which is then closed. */
  stdin?: string | Buffer;
  /** A file piped to the child's stdin (large inputs: benchmarks). */
  stdinPath?: string;
  /** false: count stdout bytes and lines without keeping them. Default true. */
  captureStdout?: boolean;
  env?: Record<string, string>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** A test process that dies must not leave clients behind. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

function describeCommand(file: string, args: readonly string[]): string {
  return [file, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

function countNewlines(chunk: Buffer): number {
  let n = 0;
  for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) n += 1;
  return n;
}

function feedStdin(child: ChildProcess, options: Pick<RunOptions, 'stdin' | 'stdinPath'>): void {
  const stdin = child.stdin;
  if (stdin === null) return;
  // A child that exits early (kcat on a fatal error) closes the pipe; that shows in its result.
  stdin.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') throw err;
  });
  if (options.stdinPath !== undefined) {
    createReadStream(options.stdinPath).pipe(stdin);
  } else {
    stdin.end(options.stdin ?? '');
  }
}

/** Runs a program to completion (or timeout) and captures what it wrote. */
export function runProcess(file: string, args: readonly string[], options: RunOptions): Promise<ProcessResult> {
  installExitHook();
  const command = describeCommand(file, args);
  const started = Date.now();
  const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
  live.add(child);
  const capture = options.captureStdout ?? true;
  const stdout: Buffer[] = [];
  let stdoutChars = 0;
  let stdoutBytes = 0;
  let stdoutLines = 0;
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdoutBytes += chunk.length;
    stdoutLines += countNewlines(chunk);
    if (capture && stdoutChars < CAPTURE_CHARS_MAX) {
      stdout.push(chunk);
      stdoutChars += chunk.length;
    }
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    if (stderr.length < CAPTURE_CHARS_MAX) stderr += chunk;
  });
  feedStdin(child, options);

  let timedOut = false;
  let killTimer: NodeJS.Timeout | undefined;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGTERM');
    killTimer = setTimeout(() => child.kill('SIGKILL'), TERM_GRACE_MS);
  }, options.timeoutMs);

  return new Promise<ProcessResult>((resolve, reject) => {
    child.once('error', (err) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      live.delete(child);
      reject(new Error(`could not run ${command}`, { cause: err }));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      live.delete(child);
      resolve({
        command,
        code,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr,
        stdoutBytes,
        stdoutLines,
        timedOut,
        durationMs: Date.now() - started,
      });
    });
  });
}

/** Runs kcat with `args`. */
export function kcat(args: readonly string[], options: RunOptions): Promise<ProcessResult> {
  return runProcess(KCAT, args, options);
}

/** A failure message that shows what ran and what it said. */
export function explain(result: ProcessResult, what = 'command'): string {
  const tail = (s: string): string => (s.length > 6_000 ? `…${s.slice(-6_000)}` : s);
  return [
    `${what}: ${result.command}`,
    `exit code=${String(result.code)} signal=${String(result.signal)} timedOut=${String(result.timedOut)} after ${result.durationMs} ms`,
    `--- stdout ---\n${tail(result.stdout)}`,
    `--- stderr ---\n${tail(result.stderr)}`,
  ].join('\n');
}

/** Throws with the full output unless the run exited 0 in time. */
export function assertSucceeded(result: ProcessResult, what = 'command'): ProcessResult {
  if (result.code !== 0 || result.timedOut) throw new Error(`${what} failed\n${explain(result, what)}`);
  return result;
}

/**
 * A long-running child (a `kcat -G` group member): output is collected as it arrives so a test
 * can wait for a line, and it can be killed with any signal.
 */
export class ChildRun {
  readonly command: string;
  private readonly child: ChildProcess;
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private out = '';
  private err = '';
  private readonly listeners = new Set<() => void>();

  constructor(file: string, args: readonly string[], options: { owner?: TestOwner; stdin?: string; env?: Record<string, string> } = {}) {
    installExitHook();
    this.command = describeCommand(file, args);
    this.child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
    live.add(this.child);
    this.exited = new Promise((resolve) => {
      this.child.once('close', (code, signal) => {
        live.delete(this.child);
        this.notify();
        resolve({ code, signal });
      });
    });
    this.child.once('error', (err) => {
      this.err += `\n[spawn error] ${String(err)}\n`;
      this.notify();
    });
    this.child.stdout?.setEncoding('utf8');
    this.child.stdout?.on('data', (chunk: string) => {
      if (this.out.length < CAPTURE_CHARS_MAX) this.out += chunk;
      this.notify();
    });
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (chunk: string) => {
      if (this.err.length < CAPTURE_CHARS_MAX) this.err += chunk;
      this.notify();
    });
    // kcat -C/-G does not read stdin; keep it open, since some tools exit when it closes.
    this.child.stdin?.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
    });
    if (options.stdin !== undefined) this.child.stdin?.write(options.stdin);
    options.owner?.after(() => this.stop());
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  stdout(): string {
    return this.out;
  }

  stderr(): string {
    return this.err;
  }

  /** Resolves with the predicate's value once it holds over (stdout, stderr); rejects at the deadline or if the child exits first. */
  async waitFor<T>(predicate: (stdout: string, stderr: string) => T | false | undefined | null, timeoutMs: number, what: string): Promise<T> {
    const check = (): T | undefined => {
      const v = predicate(this.out, this.err);
      return v === false || v === null || v === undefined ? undefined : v;
    };
    const initial = check();
    if (initial !== undefined) return initial;
    let listener: (() => void) | undefined;
    const found = new Promise<T>((resolve, reject) => {
      listener = () => {
        const v = check();
        if (v !== undefined) resolve(v);
        else if (!this.running) reject(new Error(`${this.command} exited before ${what}`));
      };
      this.listeners.add(listener);
    });
    try {
      return await withTimeout(found, timeoutMs, what);
    } catch (err) {
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n${this.describe()}`, { cause: err });
    } finally {
      if (listener !== undefined) this.listeners.delete(listener);
    }
  }

  /** Writes to the child's stdin (which stays open until the child exits). */
  send(text: string): void {
    this.child.stdin?.write(text);
  }

  /** Resolves when the child exits by itself, or rejects at the deadline. */
  async exit(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    try {
      return await withTimeout(this.exited, timeoutMs, `${this.command} to exit`);
    } catch (err) {
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n${this.describe()}`, { cause: err });
    }
  }

  /** Sends a signal and resolves when the child has exited. */
  async kill(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.running) this.child.kill(signal);
    return this.exited;
  }

  /** SIGTERM, then SIGKILL after a grace period. */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.running) return this.exited;
    this.child.kill('SIGTERM');
    try {
      return await withTimeout(this.exited, TERM_GRACE_MS * 2, `${this.command} to exit after SIGTERM`);
    } catch (err) {
      void err;
      return this.kill('SIGKILL');
    }
  }

  describe(): string {
    const tail = (s: string): string => (s.length > 6_000 ? `…${s.slice(-6_000)}` : s);
    return `${this.command}\n--- stdout ---\n${tail(this.out)}\n--- stderr ---\n${tail(this.err)}`;
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }
}

let buildDir: string | undefined;
const compiled = new Map<string, Promise<string>>();

function ensureBuildDir(): string {
  if (buildDir === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'librdkafka-programs-'));
    buildDir = dir;
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return buildDir;
}

/**
 * Compiles a C source against librdkafka (once per process) into a temp dir and resolves with
 * the executable's path. Warnings are errors: these programs are small enough to be clean.
 */
export function compileC(sourcePath: string): Promise<string> {
  const known = compiled.get(sourcePath);
  if (known !== undefined) return known;
  const output = join(ensureBuildDir(), basename(sourcePath).replace(/\.c$/, ''));
  const build = runProcess(C_COMPILER, ['-O2', '-Wall', '-Wextra', '-Werror', '-o', output, sourcePath, '-lrdkafka'], {
    timeoutMs: COMPILE_TIMEOUT_MS,
  }).then((result) => {
    assertSucceeded(result, `compiling ${basename(sourcePath)}`);
    return output;
  });
  compiled.set(sourcePath, build);
  return build;
}

/** The C programs of test/conformance/librdkafka/. */
export type LibrdkafkaProgram = 'eos' | 'idempotent' | 'txn-fence';

/** Compiles (once) and runs one of the conformance C programs. */
export async function runProgram(name: LibrdkafkaProgram, args: readonly string[], options: RunOptions): Promise<ProcessResult> {
  const path = await compileC(join(LIBRDKAFKA_PROGRAMS_DIR, `${name}.c`));
  return runProcess(path, args, options);
}

/** One request or response line of `-d protocol` output. */
export interface ProtocolLine {
  direction: 'sent' | 'received';
  /** The broker handle as librdkafka names it, e.g. "127.0.0.1:9092/bootstrap" or ".../0". */
  broker: string;
  /** librdkafka's name for the API, e.g. "ApiVersion", "Metadata", "Produce". */
  api: string;
  version: number;
  line: string;
}

const PROTOCOL_LINE = /\|(SEND|RECV)\|[^|]*\|\s*\[thrd:[^\]]*\]: (\S+): (?:Sent|Received) (\w+?)(?:Request|Response) \(v(\d+)/;

/** The Sent/Received lines of `kcat -d protocol` stderr, in order. */
export function protocolLines(stderr: string): ProtocolLine[] {
  const lines: ProtocolLine[] = [];
  for (const line of stderr.split('\n')) {
    const m = PROTOCOL_LINE.exec(line);
    if (m === null) continue;
    lines.push({ direction: m[1] === 'SEND' ? 'sent' : 'received', broker: m[2] ?? '', api: m[3] ?? '', version: Number(m[4]), line });
  }
  return lines;
}

/** Lines of debug output that mention `needle`, for failure messages and broker-failure notes. */
export function grepLines(text: string, needle: string | RegExp, max = 40): string[] {
  const test = typeof needle === 'string' ? (l: string) => l.includes(needle) : (l: string) => needle.test(l);
  return text.split('\n').filter(test).slice(0, max);
}

/** One record as printed by kcat with RECORD_FORMAT. */
export interface KcatRecord {
  topic: string;
  partition: number;
  offset: number;
  key: string;
  value: string;
  headers: string;
}

/**
 * A kcat `-f` format whose lines parse back into KcatRecord: tab-separated, one record per line.
 * Keys and values in tests never hold tabs or newlines.
 */
export const RECORD_FORMAT = '%t\\t%p\\t%o\\t%k\\t%s\\t%h\\n';

export function parseRecords(stdout: string): KcatRecord[] {
  const records: KcatRecord[] = [];
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const [topic, partition, offset, key, value, headers] = line.split('\t');
    if (topic === undefined || partition === undefined || offset === undefined) throw new Error(`unparseable kcat line: ${JSON.stringify(line)}`);
    records.push({ topic, partition: Number(partition), offset: Number(offset), key: key ?? '', value: value ?? '', headers: headers ?? '' });
  }
  return records;
}

/**
 * Starts the embedded broker in this process for a kcat test (fresh data dir, port 0, fast group
 * timings) and resolves with its bootstrap address; everything is closed when the test ends.
 */
export async function startKcatBroker(owner: TestOwner, options: Partial<BrokerOptions> = {}): Promise<string> {
  const scope = new Scope(owner);
  const { bootstrap } = await startTestBroker(scope, options);
  return bootstrap;
}

export interface MockCluster {
  readonly bootstrap: string;
  close(): Promise<void>;
}

/**
 * librdkafka's own mock cluster (bench/c/mock-cluster.c) as a child process: the reference
 * broker for benchmarks and for checking a harness. Topics given as "name:partitions" are
 * created up front. Its broker ids start at 1 and it has no controller 0 (spec §8).
 */
export async function startMockCluster(options: { topics?: string[]; owner?: TestOwner } = {}): Promise<MockCluster> {
  const path = await compileC(MOCK_CLUSTER_SOURCE);
  const child = new ChildRun(path, ['1', ...(options.topics ?? [])], options.owner === undefined ? {} : { owner: options.owner });
  const bootstrap = await child.waitFor((out) => /^(\S+)\n/.exec(out)?.[1], MOCK_START_TIMEOUT_MS, 'the mock cluster to print its bootstrap servers');
  return { bootstrap, close: async () => void (await child.stop()) };
}

/** One `% Group G rebalanced ... assigned:|revoked:` line of kcat -G stderr. */
const REBALANCE_LINE = /^% Group \S+ rebalanced \(memberid [^)]*\): (assigned|revoked): (.*)$/;

/**
 * The partitions of `topic` a kcat -G member holds according to its stderr: those of its last
 * "assigned" line, or none when a "revoked" line came after it (the eager protocol revokes
 * everything before each new assignment). undefined before the first assignment.
 */
export function currentAssignment(stderr: string, topic: string): number[] | undefined {
  let current: number[] | undefined;
  for (const line of stderr.split('\n')) {
    const m = REBALANCE_LINE.exec(line);
    if (m === null) continue;
    if (m[1] === 'revoked') {
      current = [];
      continue;
    }
    current = [];
    for (const part of (m[2] ?? '').split(',')) {
      const pm = /^\s*(\S+) \[(\d+)\]/.exec(part);
      if (pm !== null && pm[1] === topic) current.push(Number(pm[2]));
    }
    current.sort((a, b) => a - b);
  }
  return current;
}

/** "Reached end of topic T [p] at offset N" lines: the end offset kcat saw per partition. */
export function endOffsets(stderr: string, topic: string): Map<number, number> {
  const ends = new Map<number, number>();
  const re = /Reached end of topic (\S+) \[(\d+)\] at offset (\d+)/g;
  for (let m = re.exec(stderr); m !== null; m = re.exec(stderr)) {
    if (m[1] === topic) ends.set(Number(m[2]), Number(m[3]));
  }
  return ends;
}
