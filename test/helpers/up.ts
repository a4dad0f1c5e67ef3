/**
 * `paystream up` as a child process, the way a terminal runs it, with its output kept: for the
 * end-to-end tests and the pipeline benchmark. The API gets a fixed port because the sandbox
 * wallets are told where to call back before the API is up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const CLI = join(import.meta.dirname, '../../ops/cli/main.ts');

export interface Up {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

export function startUp(dataDir: string, apiPort: number, env: Readonly<Record<string, string>> = {}): Up {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'up', '--data-dir', dataDir], {
    env: { ...process.env, API_PORT: String(apiPort), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  return { child, output: () => out, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
}
