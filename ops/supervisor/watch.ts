/**
 * The role side of supervision: a role started by `paystream up` stops itself (gracefully) when
 * its supervisor is gone, e.g. killed with SIGKILL, instead of running on against services that
 * the next launcher will replace.
 */
import type { Logger } from '../../lib/logger.ts';
import type { Shutdown } from '../../lib/shutdown.ts';
import { isAlive } from '../embedded/processes.ts';
import { SUPERVISOR_WATCH_INTERVAL_MS } from './limits.ts';

export const SUPERVISOR_PID_ENV = 'PAYSTREAM_SUPERVISOR_PID';

export function watchSupervisor(shutdown: Shutdown, logger: Logger, env: NodeJS.ProcessEnv = process.env): void {
  const pid = Number(env[SUPERVISOR_PID_ENV]);
  if (!Number.isSafeInteger(pid) || pid <= 0) return;
  const timer = setInterval(() => {
    if (isAlive(pid)) return;
    clearInterval(timer);
    logger.warn({ supervisorPid: pid }, 'the supervisor is gone; stopping');
    void shutdown.run('supervisor gone').then((ok) => process.exit(ok ? 0 : 1));
  }, SUPERVISOR_WATCH_INTERVAL_MS);
  timer.unref();
}
