/**
 * Graceful shutdown: closers run in reverse order of registration (what started last stops
 * first) when SIGINT or SIGTERM arrives, bounded by a grace time after which the process exits
 * non-zero. A second signal during shutdown exits at once.
 */
import type { Logger } from './logger.ts';

/** Signals repeated within this window are relays of the first one (see installSignalHandlers). */
export const SIGNAL_ECHO_MS = 1_000;

export type Closer = () => Promise<void> | void;

export interface Shutdown {
  add(name: string, closer: Closer): void;
  /** Runs every closer once; resolves when all finished or the grace time ran out. */
  run(reason: string): Promise<boolean>;
  /** Installs SIGINT/SIGTERM handlers that run the closers and exit. */
  installSignalHandlers(): void;
}

export function createShutdown(options: { graceMs: number; logger: Logger; exit?: (code: number) => void }): Shutdown {
  const closers: { name: string; closer: Closer }[] = [];
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let running: Promise<boolean> | undefined;

  async function runAll(reason: string): Promise<boolean> {
    options.logger.info({ reason, graceMs: options.graceMs }, 'shutting down');
    let ok = true;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), options.graceMs);
    });
    const work = (async () => {
      for (const { name, closer } of [...closers].reverse()) {
        try {
          await closer();
          options.logger.debug({ name }, 'stopped');
        } catch (err) {
          ok = false;
          options.logger.error({ err, name }, 'stopping failed');
        }
      }
    })();
    const outcome = await Promise.race([work.then(() => 'done' as const), deadline]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      options.logger.error({ graceMs: options.graceMs }, 'shutdown grace time ran out');
      return false;
    }
    return ok;
  }

  return {
    add(name, closer) {
      closers.push({ name, closer });
    },
    run(reason) {
      running ??= runAll(reason);
      return running;
    },
    installSignalHandlers() {
      let firstAtMs = 0;
      for (const signal of ['SIGINT', 'SIGTERM'] as const) {
        process.on(signal, () => {
          // Ctrl-C reaches every process of the terminal's group, and wrappers (npm, tsx) relay it
          // once more: a repeat within SIGNAL_ECHO_MS is that echo, not an operator's second Ctrl-C.
          if (running !== undefined && Date.now() - firstAtMs < SIGNAL_ECHO_MS) return;
          if (running !== undefined) {
            options.logger.warn({ signal }, 'second signal during shutdown: exiting now');
            exit(130);
            return;
          }
          firstAtMs = Date.now();
          void this.run(signal).then((ok) => exit(ok ? 0 : 1));
        });
      }
    },
  };
}
