/**
 * Child-process plumbing shared by the embedded services: start with captured output, stop with
 * a grace time, and find processes orphaned by a launcher that was killed with SIGKILL.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Logger } from '../../lib/logger.ts';

/** Lines of a child's output kept for error messages when it fails to start. */
const OUTPUT_TAIL_LINES_MAX = 40;

export interface ManagedProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** The last lines the process printed, for error messages. */
  outputTail(): string;
  /** Resolves with the exit code (or signal) when the process ends. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(signal: NodeJS.Signals, graceMs: number): Promise<void>;
}

export function startProcess(
  command: string,
  args: readonly string[],
  options: SpawnOptions & { name: string; logger: Logger; onLine?: (line: string) => void },
): ManagedProcess {
  // Each child leads its own process group: a terminal's Ctrl-C (or a wrapper relaying it to the
  // group) reaches only the launcher, which then stops the children in order: roles before the
  // services they use. A killed launcher's children are found again through launcher.json.
  const child = spawn(command, args, { detached: true, ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  const tail: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      tail.push(line);
      if (tail.length > OUTPUT_TAIL_LINES_MAX) tail.shift();
      options.onLine?.(line);
    }
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (err) => {
      tail.push(`spawn failed: ${err.message}`);
      resolve({ code: -1, signal: null });
    });
  });
  if (child.pid === undefined) {
    // spawn reports ENOENT asynchronously through 'error'; the caller awaits `exited` to learn why.
    options.logger.error({ service: options.name, command }, 'process did not start');
  }
  return {
    child,
    pid: child.pid ?? -1,
    outputTail: () => tail.join('\n'),
    exited,
    async stop(signal, graceMs) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        exited.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), graceMs);
        }),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        options.logger.warn({ service: options.name, graceMs }, 'did not stop in time: killing');
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

/**
 * Whether `pid` is a running process. A zombie (exited, not yet reaped by its parent) answers
 * signal 0 like a live process but is dead: it is reported as not alive (Linux /proc).
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EPERM') return true;
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  // "pid (comm) state ...": comm may itself contain spaces and parentheses.
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state === 'Z' || state === 'X';
}

/** The command line of a live process, or undefined when it is gone (Linux /proc). */
export function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Stops a process left behind by a launcher that died without cleaning up, but only if its
 * command line still matches what we started: a recycled pid belongs to someone else.
 */
export async function stopOrphan(pid: number, expected: string, graceMs: number, logger: Logger): Promise<boolean> {
  const cmd = commandLine(pid);
  if (cmd === undefined || !cmd.includes(expected)) return false;
  logger.warn({ orphanPid: pid, cmd }, 'stopping a process left behind by an earlier launcher');
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  // SIGKILL is not instant either; a zombie awaiting its reaper already counts as stopped.
  const killDeadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < killDeadline) await new Promise((r) => setTimeout(r, 20));
  return true;
}

/**
 * Starts a paystream service as a child process and resolves once it prints its one JSON
 * "listening" line (`{"msg": listeningMsg, "port": N}`); fails with the child's last output if
 * it exits or stays silent past startTimeoutMs, and kills it in that case.
 */
export async function startListeningProcess(
  command: string,
  args: readonly string[],
  options: { name: string; logger: Logger; listeningMsg: string; startTimeoutMs: number },
): Promise<{ proc: ManagedProcess; port: number }> {
  let announce: (port: number) => void = () => undefined;
  const listening = new Promise<number>((resolvePort) => {
    announce = resolvePort;
  });
  const proc = startProcess(command, args, {
    name: options.name,
    logger: options.logger,
    onLine(line) {
      if (!line.startsWith('{')) return;
      let entry: { msg?: unknown; port?: unknown };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch (err) {
        if (err instanceof SyntaxError) return;
        throw err;
      }
      if (entry.msg === options.listeningMsg && typeof entry.port === 'number') announce(entry.port);
    },
  });
  let timer: NodeJS.Timeout | undefined;
  const port = await Promise.race([
    listening,
    proc.exited.then(({ code, signal }) => {
      throw new Error(`${options.name} exited during start (code ${code}, signal ${signal}):\n${proc.outputTail()}`);
    }),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${options.name} did not report listening within ${options.startTimeoutMs} ms:\n${proc.outputTail()}`)), options.startTimeoutMs);
    }),
  ])
    .catch(async (err: unknown) => {
      await proc.stop('SIGKILL', 0);
      throw err;
    })
    .finally(() => clearTimeout(timer));
  return { proc, port };
}
