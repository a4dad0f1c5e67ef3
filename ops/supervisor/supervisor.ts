/**
 * Runs paystream's roles as child processes (`paystream run ROLE`), one per role, against the
 * services of a running launcher (they find them through endpoints.json in the data directory).
 * A role that exits unexpectedly is started again after a growing delay, so a crash (or a
 * SIGKILL in a chaos test) costs a restart, not the pipeline. Stopping sends SIGTERM to every role
 * in reverse start order (the API first stops taking requests, then the processors drain) and
 * SIGKILL to any still running after the grace time.
 *
 * Each role watches PAYSTREAM_SUPERVISOR_PID and stops itself when the supervisor is gone, so a
 * supervisor killed with SIGKILL leaves no role behind.
 */
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../lib/logger.ts';
import { PaystreamError } from '../../lib/errors.ts';
import { startProcess, type ManagedProcess } from '../embedded/processes.ts';
import { SUPERVISOR_PID_ENV } from './watch.ts';
import { ROLE_RESTART_DELAY_MS_MAX, ROLE_RESTART_DELAY_MS_MIN, ROLE_STABLE_AFTER_MS, ROLE_START_TIMEOUT_MS } from './limits.ts';

const CLI_ENTRY = fileURLToPath(new URL('../cli/main.ts', import.meta.url));
const RUNNING_LINE = /^(\S+) is running: (.*)$/;

export interface SupervisedRole {
  readonly name: string;
  /** Addresses the role printed when it came up (api, ops, ...). */
  readonly addresses: Record<string, string>;
  readonly pid: number;
  readonly restarts: number;
}

export interface Supervisor {
  readonly roles: readonly SupervisedRole[];
  /** Resolves when `role` has come up again after a restart (for tests and operators). */
  waitRunning(role: string, afterPid: number): Promise<SupervisedRole>;
  stop(): Promise<void>;
}

export interface SuperviseOptions {
  /** Stages, started in order; the roles of one stage start together. */
  stages: readonly (readonly string[])[];
  dataDir: string;
  logger: Logger;
  /** Extra environment for every role (and per role). */
  env?: NodeJS.ProcessEnv;
  roleEnv?: Readonly<Record<string, NodeJS.ProcessEnv>>;
  graceMs: number;
  /** Where role output lines go; the supervisor's stderr by default. */
  onLine?: (role: string, line: string) => void;
  /** Called with each (re)started role's pid. */
  onStart?: (role: string, pid: number) => void;
}

class RoleProcess implements SupervisedRole {
  addresses: Record<string, string> = {};
  pid = -1;
  restarts = 0;
  private current: ManagedProcess | undefined;
  private stopping = false;
  private delayMs = ROLE_RESTART_DELAY_MS_MIN;
  private restartTimer: NodeJS.Timeout | undefined;
  private waiters: Array<() => void> = [];

  constructor(
    readonly name: string,
    private readonly options: SuperviseOptions,
  ) {}

  /** Starts the process and resolves once it printed its running line. */
  start(): Promise<void> {
    const startedAt = Date.now();
    let announce: (() => void) | undefined;
    const running = new Promise<void>((resolve) => (announce = resolve));
    const proc = startProcess(process.execPath, ['--import', 'tsx', CLI_ENTRY, 'run', this.name, '--data-dir', this.options.dataDir], {
      name: this.name,
      logger: this.options.logger,
      env: { ...process.env, ...this.options.env, ...this.options.roleEnv?.[this.name], [SUPERVISOR_PID_ENV]: String(process.pid) },
      onLine: (line) => {
        const match = RUNNING_LINE.exec(line);
        if (match?.[1] === this.name) {
          this.addresses = Object.fromEntries((match[2] ?? '').split(', ').map((pair) => pair.split(' ') as [string, string]).filter((p) => p.length === 2));
          announce?.();
          for (const wake of this.waiters.splice(0)) wake();
          return;
        }
        (this.options.onLine ?? ((role, l) => process.stderr.write(`[${role}] ${l}\n`)))(this.name, line);
      },
    });
    this.current = proc;
    this.pid = proc.pid;
    this.options.onStart?.(this.name, proc.pid);
    void proc.exited.then(({ code, signal }) => {
      if (this.stopping) return;
      const ranMs = Date.now() - startedAt;
      if (ranMs >= ROLE_STABLE_AFTER_MS) this.delayMs = ROLE_RESTART_DELAY_MS_MIN;
      this.options.logger.warn({ role: this.name, code, signal, restartInMs: this.delayMs }, 'role exited; starting it again');
      this.restartTimer = setTimeout(() => {
        this.restarts += 1;
        void this.start().catch((err: unknown) => this.options.logger.error({ err, role: this.name }, 'role restart failed'));
      }, this.delayMs);
      this.delayMs = Math.min(this.delayMs * 2, ROLE_RESTART_DELAY_MS_MAX);
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new PaystreamError('role_start_timeout', `role ${this.name} did not come up within ${ROLE_START_TIMEOUT_MS} ms:\n${proc.outputTail()}`)), ROLE_START_TIMEOUT_MS);
    });
    const died = proc.exited.then(({ code, signal }) => {
      throw new PaystreamError('role_start_failed', `role ${this.name} exited (${signal ?? code}) before it came up:\n${proc.outputTail()}`);
    });
    return Promise.race([running, timeout, died]).finally(() => clearTimeout(timer));
  }

  waitRunning(afterPid: number): Promise<SupervisedRole> {
    if (this.pid !== afterPid && Object.keys(this.addresses).length > 0 && this.current?.child.exitCode === null) return Promise.resolve(this);
    return new Promise((resolve) => this.waiters.push(() => (this.pid !== afterPid ? resolve(this) : undefined)));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
    await this.current?.stop('SIGTERM', this.options.graceMs);
  }
}

/** Starts the stages in order, each once the one before is up; throws (after stopping those started) if a role cannot start. */
export async function superviseRoles(options: SuperviseOptions): Promise<Supervisor> {
  const started: RoleProcess[] = [];
  const stop = async () => {
    // The API (last stage) stops first; the processors of a stage then stop together.
    for (const stage of [...options.stages].reverse()) {
      await Promise.all(started.filter((r) => stage.includes(r.name)).map((role) => role.stop().catch((err: unknown) => options.logger.error({ err, role: role.name }, 'stopping a role failed'))));
    }
  };
  try {
    for (const stage of options.stages) {
      const roles = stage.map((name) => new RoleProcess(name, options));
      started.push(...roles);
      const results = await Promise.allSettled(roles.map((r) => r.start()));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
      for (const role of roles) options.logger.info({ role: role.name, pid: role.pid, addresses: role.addresses }, 'role running');
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    roles: started,
    waitRunning: (name, afterPid) => {
      const role = started.find((r) => r.name === name);
      if (role === undefined) throw new PaystreamError('unknown_role', `no supervised role ${name}`);
      return role.waitRunning(afterPid);
    },
    stop,
  };
}
