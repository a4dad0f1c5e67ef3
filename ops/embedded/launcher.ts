/**
 * The embedded launcher: starts every service paystream needs that the environment does not
 * point elsewhere, on loopback and free ports, waits until each is healthy, applies database
 * migrations, and writes `<dataDir>/endpoints.json` so other commands find the services.
 *
 * A launcher killed with SIGKILL leaves its children running; `launcher.json` records their pids
 * as they start, and the next launcher on the same data directory stops those orphans before it
 * starts anew (the data itself is kept).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../../lib/config.ts';
import { PaystreamError } from '../../lib/errors.ts';
import { writeFileAtomic } from '../../lib/fs-atomic.ts';
import type { Logger } from '../../lib/logger.ts';
import { Secret } from '../../lib/secret.ts';
import { randomBytes } from 'node:crypto';
import { createKafka } from '../../lib/kafka.ts';
import { provisionCatalogue } from '../../schemas/provision.ts';
import { migrateUp } from '../migrations/migrate.ts';
import { REGISTRY_COMMAND_MARK, startSchemaRegistryProcess } from './schema-registry/process.ts';
import { BROKER_COMMAND_MARK, startKafka } from './kafka-service.ts';
import { startPostgres } from './postgres.ts';
import { isAlive, commandLine, stopOrphan } from './processes.ts';
import { startRedis } from './redis.ts';
import { startSandboxFleet } from '../../connectors/channels/sandbox/fleet.ts';
import { CHANNELS_FILE_NAME, writeChannelSettings } from '../../connectors/channels/settings.ts';
import { startSandboxBank } from '../../connectors/bank/sandbox.ts';
import { writeBankSettings } from '../../connectors/bank/settings.ts';

/** Adapter call deadline for the sandbox acquirers: above their slowest configured latency. */
const SANDBOX_ADAPTER_TIMEOUT_MS = 5_000;

export const ENDPOINTS_FILE = 'endpoints.json';
const LAUNCHER_STATE_FILE = 'launcher.json';
const ORPHAN_STOP_GRACE_MS = 15_000;
/** Replication of topics the launcher creates: 3 as in docker-compose.yml, fewer when fewer brokers are listed. */
const REPLICATION_FACTOR_MAX = 3;

/** `sandbox:<channel id>`: a sandbox acquirer's base URL (its admin endpoints hold the journal). */
export type ServiceName = 'postgres' | 'redis' | 'kafka' | 'schemaRegistry' | 'api' | 'bank' | `sandbox:${string}`;

export interface ServiceEndpoint {
  /** Connection string (URL or host:port list) as the code's clients take it. */
  url: string;
  /** false when the environment points at a service the launcher did not start. */
  embedded: boolean;
  pid?: number;
}

export interface Endpoints {
  dataDir: string;
  launcherPid: number;
  startedAt: string;
  services: Partial<Record<ServiceName, ServiceEndpoint>>;
}

interface LauncherState {
  pid: number;
  children: { name: string; pid: number; mark: string }[];
}

interface Started {
  name: ServiceName;
  endpoint: ServiceEndpoint;
  stop?: () => Promise<void>;
}

export interface Launched {
  readonly endpoints: Endpoints;
  /** Adds an endpoint (the API, later) and rewrites endpoints.json. */
  publish(name: ServiceName, endpoint: ServiceEndpoint): void;
  stop(): Promise<void>;
}

export class LauncherError extends PaystreamError<'launcher_already_running' | 'launcher_start_failed'> {}

function readJson<T>(path: string): T | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (err) {
    if (err instanceof SyntaxError) return undefined;
    throw err;
  }
}

/** Refuses a second live launcher on one data directory; cleans up after a dead one. */
async function claimDataDir(dataDir: string, logger: Logger): Promise<void> {
  const statePath = join(dataDir, LAUNCHER_STATE_FILE);
  const previous = readJson<LauncherState>(statePath);
  if (previous !== undefined && previous.pid !== process.pid) {
    if (isAlive(previous.pid) && (commandLine(previous.pid) ?? '').includes('node')) {
      throw new LauncherError('launcher_already_running', `paystream is already running on ${dataDir} (launcher pid ${previous.pid}); stop it first or use another --data-dir`);
    }
    logger.warn({ previousLauncherPid: previous.pid }, 'the previous launcher did not stop cleanly: recovering');
    for (const child of previous.children) await stopOrphan(child.pid, child.mark, ORPHAN_STOP_GRACE_MS, logger);
  }
  rmSync(join(dataDir, ENDPOINTS_FILE), { force: true });
  writeFileAtomic(statePath, JSON.stringify({ pid: process.pid, children: [] } satisfies LauncherState));
}

function recordChild(dataDir: string, child: LauncherState['children'][number]): void {
  const statePath = join(dataDir, LAUNCHER_STATE_FILE);
  const state = readJson<LauncherState>(statePath) ?? { pid: process.pid, children: [] };
  state.children.push(child);
  writeFileAtomic(statePath, JSON.stringify(state));
}

function external(secret: Secret | string): ServiceEndpoint {
  return { url: typeof secret === 'string' ? secret : secret.reveal(), embedded: false };
}

export async function launch(options: { config: Readonly<Config>; dataDir?: string; logger: Logger }): Promise<Launched> {
  const { config, logger } = options;
  const dataDir = resolve(options.dataDir ?? config.dataDir);
  // Traversable by others (0711): as root, PostgreSQL runs as the postgres user and must reach
  // its own directory inside; secrets in here are files readable by their owner only.
  mkdirSync(dataDir, { recursive: true, mode: 0o711 });
  chmodSync(dataDir, 0o711);
  await claimDataDir(dataDir, logger);
  const started: Started[] = [];
  const host = config.embeddedHost;

  const stopAll = async () => {
    for (const service of [...started].reverse()) {
      if (service.stop === undefined) continue;
      try {
        await service.stop();
        logger.info({ service: service.name }, 'stopped');
      } catch (err) {
        logger.error({ err, service: service.name }, 'stopping failed');
      }
    }
    rmSync(join(dataDir, ENDPOINTS_FILE), { force: true });
    rmSync(join(dataDir, LAUNCHER_STATE_FILE), { force: true });
  };

  try {
    if (config.databaseUrl === undefined) {
      const pg = await startPostgres({ dataDir: join(dataDir, 'postgres'), host, logger });
      recordChild(dataDir, { name: 'postgres', pid: pg.pid, mark: 'postgres' });
      started.push({ name: 'postgres', endpoint: { url: pg.url.reveal(), embedded: true, pid: pg.pid }, stop: pg.stop });
      await migrateUp(pg.url, logger);
    } else {
      started.push({ name: 'postgres', endpoint: external(config.databaseUrl) });
      await migrateUp(config.databaseUrl, logger);
    }

    if (config.redisUrl === undefined) {
      const redis = await startRedis({ dataDir: join(dataDir, 'redis'), host, logger });
      recordChild(dataDir, { name: 'redis', pid: redis.pid, mark: 'redis-server' });
      started.push({ name: 'redis', endpoint: { url: redis.url.reveal(), embedded: true, pid: redis.pid }, stop: redis.stop });
    } else {
      started.push({ name: 'redis', endpoint: external(config.redisUrl) });
    }

    if (config.kafkaBrokers === undefined) {
      const kafka = await startKafka({ dataDir: join(dataDir, 'kafka'), host, fsyncIntervalMs: config.brokerFsyncIntervalMs, logLevel: config.logLevel, logger });
      recordChild(dataDir, { name: 'kafka', pid: kafka.pid, mark: BROKER_COMMAND_MARK });
      started.push({ name: 'kafka', endpoint: { url: kafka.bootstrap, embedded: true, pid: kafka.pid }, stop: kafka.stop });
    } else {
      started.push({ name: 'kafka', endpoint: external(config.kafkaBrokers.map((b) => `${b.host}:${b.port}`).join(',')) });
    }

    const kafkaBootstrap = started.find((s) => s.name === 'kafka')?.endpoint.url ?? '';
    // Topics first: the registry's compacted `_schemas` topic is in the catalogue too.
    const kafka = createKafka({ brokers: kafkaBootstrap.split(','), clientId: `${config.kafkaClientId}-launcher`, logger });
    await provisionCatalogue(kafka, { replicationFactor: Math.min(REPLICATION_FACTOR_MAX, config.kafkaBrokers?.length ?? 1), logger });

    if (config.schemaRegistryUrl === undefined) {
      const registry = await startSchemaRegistryProcess({ kafkaBootstrap, host, logLevel: config.logLevel, logger });
      recordChild(dataDir, { name: 'schemaRegistry', pid: registry.pid, mark: REGISTRY_COMMAND_MARK });
      started.push({ name: 'schemaRegistry', endpoint: { url: registry.url, embedded: true, pid: registry.pid }, stop: registry.stop });
    } else {
      started.push({ name: 'schemaRegistry', endpoint: external(config.schemaRegistryUrl) });
    }

    if (config.channelsFile === undefined) {
      // The sandbox acquirers, in this process: their callbacks go to the API's notifications endpoint.
      const apiHost = config.apiHost === '0.0.0.0' ? host : config.apiHost;
      const fleet = await startSandboxFleet({ host, timeoutMs: SANDBOX_ADAPTER_TIMEOUT_MS, notifyUrl: (channelId) => `http://${apiHost}:${config.apiPort}/v1/channels/${channelId}/notifications`, log: logger });
      writeChannelSettings(join(dataDir, CHANNELS_FILE_NAME), fleet.adapters);
      for (const [channelId, sandbox] of Object.entries(fleet.sandboxes)) started.push({ name: `sandbox:${channelId}`, endpoint: { url: sandbox.url, embedded: true, pid: process.pid } });
      started.push({ name: 'sandbox:fleet', endpoint: { url: '', embedded: true }, stop: () => fleet.close() });
      // The sandbox bank merchants are paid out through (settlement, streams/ledger/settlement.ts).
      const bank = await startSandboxBank({ host, secret: new Secret(randomBytes(32).toString('base64url')) });
      writeBankSettings(dataDir, bank);
      started.push({ name: 'bank', endpoint: { url: bank.url, embedded: true, pid: process.pid }, stop: () => bank.close() });
    }
  } catch (err) {
    await stopAll();
    if (err instanceof PaystreamError) throw err;
    throw new LauncherError('launcher_start_failed', `embedded services failed to start: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }

  const endpoints: Endpoints = {
    dataDir,
    launcherPid: process.pid,
    startedAt: new Date().toISOString(),
    services: Object.fromEntries(started.filter((s) => s.name !== 'sandbox:fleet').map((s) => [s.name, s.endpoint])),
  };
  const write = () => writeFileAtomic(join(dataDir, ENDPOINTS_FILE), `${JSON.stringify(endpoints, null, 2)}\n`, 0o600);
  write();
  logger.info({ services: Object.fromEntries(started.map((s) => [s.name, { embedded: s.endpoint.embedded, pid: s.endpoint.pid }])) }, 'all services healthy');

  let stopping: Promise<void> | undefined;
  return {
    endpoints,
    publish(name, endpoint) {
      endpoints.services[name] = endpoint;
      write();
    },
    stop() {
      stopping ??= stopAll();
      return stopping;
    },
  };
}

/** Reads the endpoints a running launcher published, or undefined when none is running. */
export function readEndpoints(dataDir: string): Endpoints | undefined {
  const endpoints = readJson<Endpoints>(join(resolve(dataDir), ENDPOINTS_FILE));
  if (endpoints === undefined || !isAlive(endpoints.launcherPid)) return undefined;
  return endpoints;
}
