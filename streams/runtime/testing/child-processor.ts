/**
 * Runs testing/copy-processor.ts as a child process a test can SIGKILL and restart. The child
 * is killed when the test ends or the test process exits, so none outlives its test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SCRIPT_PATH = fileURLToPath(new URL('./copy-processor.ts', import.meta.url));
/** tsx compiles the script at start; on two busy cores that takes a few seconds. */
const START_TIMEOUT_MS = 30_000;
/** Output kept for failure messages. */
const OUTPUT_KEEP_CHARS_MAX = 128 * 1024;
const RUNNING_MSG = 'processor running';

const live = new Set<ChildProcess>();
let hookInstalled = false;

export interface CopyProcessorArgs {
  bootstrap: string;
  input: string;
  output: string;
  name: string;
  transactionRecordsMax?: number;
  keyConcurrency?: number;
}

export class ChildProcessor {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private out = '';
  starts = 0;
  private readonly args: CopyProcessorArgs;

  constructor(args: CopyProcessorArgs, owner: { after(fn: () => unknown): void }) {
    this.args = args;
    owner.after(() => this.kill());
    if (!hookInstalled) {
      hookInstalled = true;
      process.on('exit', () => {
        for (const c of live) c.kill('SIGKILL');
      });
    }
  }

  output(): string {
    return this.out;
  }

  /** Starts the child and resolves once it logs that it runs. */
  async start(): Promise<void> {
    this.starts += 1;
    const tag = `[start ${this.starts}] `;
    const a = this.args;
    const argv = ['--import', 'tsx', SCRIPT_PATH, '--bootstrap', a.bootstrap, '--input', a.input, '--output', a.output, '--name', a.name];
    if (a.transactionRecordsMax !== undefined) argv.push('--transaction-records-max', String(a.transactionRecordsMax));
    if (a.keyConcurrency !== undefined) argv.push('--key-concurrency', String(a.keyConcurrency));
    const child = spawn(process.execPath, argv, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    live.add(child);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        live.delete(child);
        this.append(`${tag}exited code=${String(code)} signal=${String(signal)}\n`);
        resolve();
      });
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => this.append(tag + chunk));
    child.stdout?.setEncoding('utf8');
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`processor did not start within ${START_TIMEOUT_MS} ms\n${this.out}`)), START_TIMEOUT_MS);
      let seen = '';
      child.stdout?.on('data', (chunk: string) => {
        this.append(tag + chunk);
        seen = (seen + chunk).slice(-4096);
        if (seen.includes(`"msg":"${RUNNING_MSG}"`)) {
          clearTimeout(timer);
          resolve();
        }
      });
      void this.exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`processor exited before running\n${this.out}`));
      });
    });
  }

  /** SIGKILL, resolving once the child is gone. */
  async kill(): Promise<void> {
    if (this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM (a graceful stop), resolving once the child is gone. */
  async stop(): Promise<void> {
    if (this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    await this.exited;
  }

  private append(text: string): void {
    this.out += text;
    if (this.out.length > OUTPUT_KEEP_CHARS_MAX) this.out = this.out.slice(-OUTPUT_KEEP_CHARS_MAX);
  }
}
