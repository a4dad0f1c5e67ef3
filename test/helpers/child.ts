/**
 * A test's own child process (a processor under SIGKILL, for instance): started with tsx, ready
 * once it logs `readyMessage`, its output kept for failure messages, killed with SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface TestChild {
  child: ChildProcess;
  /** Resolves when the child logged its ready message; rejects if it exits first. */
  running: Promise<void>;
}

export function startChild(script: string, args: readonly string[], options: { env?: Record<string, string>; readyMessage: string; log: string[] }): TestChild {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (c: string) => options.log.push(c));
  child.stdout?.setEncoding('utf8');
  const running = new Promise<void>((resolve, reject) => {
    let seen = '';
    child.stdout?.on('data', (c: string) => {
      seen = (seen + c).slice(-8192);
      if (seen.includes(`"msg":"${options.readyMessage}"`)) resolve();
    });
    child.once('exit', (code, signal) => reject(new Error(`${script} exited (${String(code)} ${String(signal)}): ${options.log.join('').slice(-2000)}`)));
  });
  running.catch(() => undefined);
  return { child, running };
}

export async function killed(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await gone;
}
