/**
 * Starts the embedded broker in-process: opens the logs and coordinator state under dataDir,
 * listens, and runs the coordinators' timers. `close()` stops accepting, lets in-flight requests
 * answer (parked fetches are woken), then closes the journals and fsyncs and closes the logs.
 */
import pino from 'pino';
import type { BrokerOptions, RunningBroker } from './contracts.ts';
import { Broker, type ResolvedBrokerOptions } from './broker.ts';
import { KafkaServer } from './server.ts';
import { registerStateSource } from './metrics.ts';
import { createLogger, type Logger } from '../../../lib/logger.ts';
import type { Clock } from './coordinator/types.ts';
import {
  FSYNC_INTERVAL_MS_DEFAULT,
  LOG_CLEANUP_INTERVAL_MS,
  GROUP_INITIAL_REBALANCE_DELAY_MS_DEFAULT,
  GROUP_TICK_INTERVAL_MS,
  TOPIC_PARTITIONS_DEFAULT,
  TRANSACTION_CHECK_INTERVAL_MS_DEFAULT,
} from './limits.ts';

export type { BrokerOptions, RunningBroker } from './contracts.ts';

/** BrokerOptions plus settings only tests and the CLI need. */
export interface EmbeddedBrokerOptions extends BrokerOptions {
  /** How often retention and compaction run (default LOG_CLEANUP_INTERVAL_MS; 0 disables the timer). */
  logCleanupIntervalMs?: number;
}

/** The running broker, with a hook that runs retention and compaction now (tests). */
export interface EmbeddedBroker extends RunningBroker {
  runLogCleanup(nowMs?: number): void;
}

export interface StartBrokerExtras {
  /** Defaults to warnings and errors as JSON lines on stderr. */
  logger?: Logger;
  clock?: Clock;
}

const systemClock: Clock = { nowMs: () => Date.now() };

export function resolveBrokerOptions(options: EmbeddedBrokerOptions): ResolvedBrokerOptions {
  return {
    dataDir: options.dataDir,
    host: options.host,
    port: options.port,
    advertisedHost: options.advertisedHost ?? options.host,
    autoCreateTopics: options.autoCreateTopics ?? true,
    defaultPartitions: options.defaultPartitions ?? TOPIC_PARTITIONS_DEFAULT,
    groupInitialRebalanceDelayMs: options.groupInitialRebalanceDelayMs ?? GROUP_INITIAL_REBALANCE_DELAY_MS_DEFAULT,
    fsyncIntervalMs: options.fsyncIntervalMs ?? FSYNC_INTERVAL_MS_DEFAULT,
    transactionCheckIntervalMs: options.transactionCheckIntervalMs ?? TRANSACTION_CHECK_INTERVAL_MS_DEFAULT,
    logCleanupIntervalMs: options.logCleanupIntervalMs ?? LOG_CLEANUP_INTERVAL_MS,
  };
}

/** Runs `work` from a timer; a failure is logged, never thrown into the event loop. */
function every(intervalMs: number, logger: Logger, what: string, work: () => void): NodeJS.Timeout {
  return setInterval(() => {
    try {
      work();
    } catch (err) {
      logger.error({ err, timer: what }, 'broker timer work failed');
    }
  }, intervalMs).unref();
}

export async function startBroker(options: EmbeddedBrokerOptions, extras: StartBrokerExtras = {}): Promise<EmbeddedBroker> {
  const resolved = resolveBrokerOptions(options);
  const logger = extras.logger ?? createLogger({ level: 'warn', name: 'kafka-broker', destination: pino.destination({ dest: 2, sync: true }) });
  const clock = extras.clock ?? systemClock;
  const broker = Broker.open(resolved, logger, clock);
  const server = new KafkaServer({ host: resolved.host, port: resolved.port, logger, handler: (frame, connection) => broker.handleFrame(frame, connection) });
  let port: number;
  try {
    ({ port } = await server.listen());
  } catch (err) {
    broker.close();
    throw err;
  }
  broker.advertised = { host: resolved.advertisedHost, port };
  const timers = [
    every(resolved.transactionCheckIntervalMs, logger, 'transactions', () => broker.tickTransactions(clock.nowMs())),
    every(GROUP_TICK_INTERVAL_MS, logger, 'groups', () => broker.tickGroups(clock.nowMs())),
    every(resolved.transactionCheckIntervalMs * 10, logger, 'partition-state-trim', () => broker.trimPartitionStates()),
  ];
  const unregister = registerStateSource(broker.stateSource());
  logger.info({ host: resolved.host, port, advertisedHost: resolved.advertisedHost, dataDir: resolved.dataDir }, 'kafka broker started');
  let closing: Promise<void> | undefined;
  return {
    host: resolved.host,
    port,
    bootstrap: `${resolved.advertisedHost}:${port}`,
    runLogCleanup(nowMs = clock.nowMs()) {
      broker.runLogCleanup(nowMs);
    },
    close() {
      closing ??= (async () => {
        for (const timer of timers) clearInterval(timer);
        unregister();
        broker.beginClose();
        await server.close();
        broker.close();
        logger.info({ port }, 'kafka broker closed');
      })();
      return closing;
    },
  };
}
