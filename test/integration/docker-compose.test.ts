/**
 * The production compose file, checked without a Docker engine: docker-compose validates it
 * against the Compose schema, and the parsed YAML is held to the deployment rules (pinned
 * images, the full configuration on every paystream process, unique host ports, a consistent
 * KRaft quorum). The configuration list comes from lib/config.ts, so a new setting that the
 * compose file does not pass on fails here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { CONFIG_VARIABLES, loadConfig } from '../../lib/config.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const COMPOSE_FILE = fileURLToPath(new URL('../../docker-compose.yml', import.meta.url));

/** Every long-running paystream role; each is one compose service of the same name. */
const ROLES = ['api', 'router', 'risk', 'channel', 'result', 'ledger', 'metrics', 'log-connector', 'zabbix-connector', 'reconciliation'] as const;
const MIGRATE = 'migrate';
const CLI = ['node', '--import', 'tsx', 'ops/cli/main.ts'];

/** docker-compose parses and validates in about a second; this only bounds a hung process. */
const COMPOSE_TIMEOUT_MS = 30_000;

/** Throwaway values for the secrets the compose file requires from its environment. */
const SECRETS: Readonly<Record<string, string>> = {
  POSTGRES_PASSWORD: randomBytes(12).toString('hex'),
  REDIS_PASSWORD: randomBytes(12).toString('hex'),
  ZABBIX_DB_PASSWORD: randomBytes(12).toString('hex'),
  PAYSTREAM_MASTER_KEY: randomBytes(32).toString('hex'),
};

type Env = Record<string, string>;

interface Service {
  name: string;
  image: string | undefined;
  build: unknown;
  command: unknown;
  hostname: string | undefined;
  environment: Env;
  ports: unknown[];
  dependsOn: Record<string, unknown>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Compose accepts a mapping or a list of NAME=value; both become a mapping of strings. */
function environmentOf(raw: unknown, service: string): Env {
  if (raw === undefined || raw === null) return {};
  const out: Env = {};
  if (Array.isArray(raw)) {
    for (const item of raw) {
      assert.equal(typeof item, 'string', `${service}: environment entries are strings`);
      const text = item as string;
      const eq = text.indexOf('=');
      out[eq === -1 ? text : text.slice(0, eq)] = eq === -1 ? '' : text.slice(eq + 1);
    }
    return out;
  }
  assert.ok(isRecord(raw), `${service}: environment is a mapping or a list`);
  for (const [key, value] of Object.entries(raw)) out[key] = value === null ? '' : String(value);
  return out;
}

function loadServices(): Map<string, Service> {
  // Merge keys (`<<: *anchor`) are how the file shares settings; docker-compose resolves them too.
  const doc: unknown = parse(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true });
  assert.ok(isRecord(doc) && isRecord(doc.services), 'the compose file has a services mapping');
  const services = new Map<string, Service>();
  for (const [name, raw] of Object.entries(doc.services)) {
    assert.ok(isRecord(raw), `${name} is a mapping`);
    const dependsOn = raw.depends_on;
    services.set(name, {
      name,
      image: typeof raw.image === 'string' ? raw.image : undefined,
      build: raw.build,
      command: raw.command,
      hostname: typeof raw.hostname === 'string' ? raw.hostname : undefined,
      environment: environmentOf(raw.environment, name),
      ports: Array.isArray(raw.ports) ? raw.ports : [],
      dependsOn: isRecord(dependsOn) ? dependsOn : Array.isArray(dependsOn) ? Object.fromEntries(dependsOn.map((d) => [String(d), {}])) : {},
    });
  }
  return services;
}

function service(services: Map<string, Service>, name: string): Service {
  const found = services.get(name);
  assert.ok(found !== undefined, `service ${name} is defined`);
  return found;
}

/** The services that run paystream code and so read lib/config.ts. */
function paystreamServices(services: Map<string, Service>): Service[] {
  return [...ROLES, MIGRATE].map((name) => service(services, name));
}

/** Compose-style interpolation of the two forms the file uses: ${NAME:-default} and ${NAME:?error}. */
function interpolate(value: string, vars: Readonly<Record<string, string>>): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([-?])([^}]*))?\}/g, (_whole, name: string, op: string | undefined, arg: string | undefined) => {
    const given = vars[name];
    if (given !== undefined && given !== '') return given;
    if (op === '-') return arg ?? '';
    throw new Error(`${name} is not set${op === '?' ? `: ${arg ?? ''}` : ''}`);
  });
}

function runCompose(env: Readonly<Record<string, string>>): { status: number | null; stderr: string } {
  const result = spawnSync('docker-compose', ['-f', COMPOSE_FILE, 'config', '-q'], {
    cwd: REPO_ROOT,
    // Only PATH and HOME are passed on, so a developer's own variables cannot mask a missing one.
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? REPO_ROOT, ...env },
    encoding: 'utf8',
    timeout: COMPOSE_TIMEOUT_MS,
  });
  if (result.error !== undefined) {
    const code = (result.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') assert.fail('docker-compose is not installed; .ci/run installs it (apt-get install docker-compose)');
    throw result.error;
  }
  return { status: result.status, stderr: result.stderr };
}

test('docker-compose validates the compose file against the Compose schema', () => {
  const { status, stderr } = runCompose(SECRETS);
  assert.equal(status, 0, `docker-compose config -q failed:\n${stderr}`);
});

test('docker-compose refuses the compose file when a secret is missing', () => {
  for (const missing of Object.keys(SECRETS)) {
    const env = { ...SECRETS };
    delete env[missing];
    const { status, stderr } = runCompose(env);
    assert.notEqual(status, 0, `docker-compose accepted the file without ${missing}`);
    assert.match(stderr, new RegExp(`set ${missing}`), `the error names ${missing}`);
  }
});

test('every image in the compose file is pinned to an exact version', () => {
  for (const s of loadServices().values()) {
    if (s.image === undefined) {
      assert.ok(s.build !== undefined, `${s.name} has neither image nor build`);
      continue;
    }
    assert.ok(!s.image.includes('$'), `${s.name}: image ${s.image} must not depend on the environment`);
    const [reference, digest] = s.image.split('@');
    if (digest !== undefined) assert.match(digest, /^sha256:[0-9a-f]{64}$/, `${s.name}: digest of ${s.image}`);
    const lastSlash = (reference ?? '').lastIndexOf('/');
    const colon = (reference ?? '').indexOf(':', lastSlash + 1);
    assert.ok(colon !== -1, `${s.name}: image ${s.image} has a tag`);
    const tag = (reference ?? '').slice(colon + 1);
    assert.ok(!/latest/i.test(tag), `${s.name}: image ${s.image} is not pinned (latest)`);
    assert.match(tag, /\d+\.\d+/, `${s.name}: image ${s.image} names an exact version, not a bare major`);
  }
});

test('every paystream role runs the repository image with its own run command', () => {
  const services = loadServices();
  for (const role of ROLES) {
    const s = service(services, role);
    assert.ok(isRecord(s.build) && s.build.context === '.', `${role} is built from the repository`);
    assert.deepEqual(s.command, [...CLI, 'run', role], `${role} runs its own role`);
    assert.deepEqual(s.dependsOn[MIGRATE], { condition: 'service_completed_successfully' }, `${role} waits for migrations`);
  }
  const migrate = service(services, MIGRATE);
  assert.ok(isRecord(migrate.build) && migrate.build.context === '.', 'migrate is built from the repository');
  assert.deepEqual(migrate.command, [...CLI, 'migrate']);
});

test('every paystream service sets each configuration variable that has no default', () => {
  const mandatory = CONFIG_VARIABLES.filter((v) => v.required || v.default === undefined);
  for (const s of paystreamServices(loadServices())) {
    for (const v of mandatory) {
      const value = s.environment[v.name];
      assert.ok(value !== undefined && value !== '', `${s.name} sets ${v.name} (${v.description})`);
    }
  }
});

test('every paystream service sets the whole configuration explicitly and nothing unknown', () => {
  const known = new Set(CONFIG_VARIABLES.map((v) => v.name));
  for (const s of paystreamServices(loadServices())) {
    for (const name of known) assert.ok(name in s.environment, `${s.name} sets ${name}, so a changed code default cannot change production`);
    for (const name of Object.keys(s.environment)) {
      assert.ok(known.has(name), `${s.name} sets ${name}, which lib/config.ts does not read`);
    }
  }
});

test('the configuration of every paystream service passes the configuration module', () => {
  for (const s of paystreamServices(loadServices())) {
    const env = Object.fromEntries(Object.entries(s.environment).map(([k, v]) => [k, interpolate(v, SECRETS)]));
    const config = loadConfig(env);
    assert.ok(config.metricsPort !== 0, `${s.name}: METRICS_PORT is fixed, so health checks know where /healthz is`);
    assert.notEqual(config.kafkaBrokers, undefined, `${s.name} uses the Kafka cluster, not the embedded broker`);
    assert.notEqual(config.databaseUrl, undefined, `${s.name} uses the PostgreSQL service`);
    assert.notEqual(config.redisUrl, undefined, `${s.name} uses the Redis service`);
    assert.notEqual(config.schemaRegistryUrl, undefined, `${s.name} uses the schema registry service`);
  }
});

/** Host side of a published port, or undefined when Docker picks one. */
function publishedPort(entry: unknown, service: string): string | undefined {
  if (isRecord(entry)) {
    const published = entry.published;
    return published === undefined ? undefined : `${String(published)}/${String(entry.protocol ?? 'tcp')}`;
  }
  const text = String(entry);
  const [mapping, protocol = 'tcp'] = text.split('/');
  const parts = (mapping ?? '').split(':');
  assert.ok(parts.length >= 1 && parts.length <= 3, `${service}: port ${text} is [ip:]host:container or container`);
  if (parts.length === 1) return undefined;
  const host = parts[parts.length - 2] ?? '';
  assert.match(host, /^\d+(-\d+)?$/, `${service}: port ${text} has a numeric host port`);
  return `${host}/${protocol}`;
}

test('published host ports are unique across services', () => {
  const owners = new Map<string, string>();
  for (const s of loadServices().values()) {
    for (const entry of s.ports) {
      const port = publishedPort(entry, s.name);
      if (port === undefined) continue;
      const owner = owners.get(port);
      assert.equal(owner, undefined, `host port ${port} is published by both ${owner ?? ''} and ${s.name}`);
      owners.set(port, s.name);
    }
  }
  assert.ok(owners.size > 0, 'at least the API is published');
});

function listenerPort(listeners: string, name: string): string | undefined {
  for (const listener of listeners.split(',')) {
    const match = /^([A-Z_]+):\/\/[^:]*:(\d+)$/.exec(listener.trim());
    if (match?.[1] === name) return match[2];
  }
  return undefined;
}

test('Kafka runs three combined KRaft nodes with one consistent quorum', () => {
  const nodes = [...loadServices().values()].filter((s) => s.image?.startsWith('apache/kafka:') === true);
  assert.equal(nodes.length, 3, 'three Kafka nodes');
  const voters = new Set(nodes.map((n) => n.environment.KAFKA_CONTROLLER_QUORUM_VOTERS));
  const clusterIds = new Set(nodes.map((n) => n.environment.CLUSTER_ID));
  assert.equal(voters.size, 1, 'every node has the same KAFKA_CONTROLLER_QUORUM_VOTERS');
  assert.equal(clusterIds.size, 1, 'every node has the same CLUSTER_ID');
  assert.match([...clusterIds][0] ?? '', /^[A-Za-z0-9_-]{22}$/, 'CLUSTER_ID is a base64 UUID');
  const quorum = new Map<string, string>();
  for (const voter of ([...voters][0] ?? '').split(',')) {
    const match = /^(\d+)@([A-Za-z0-9.-]+):(\d+)$/.exec(voter);
    assert.ok(match !== null, `voter ${voter} is id@host:port`);
    quorum.set(match[1] ?? '', `${match[2] ?? ''}:${match[3] ?? ''}`);
  }
  assert.equal(quorum.size, 3, 'three distinct voter ids');
  for (const node of nodes) {
    const env = node.environment;
    const id = env.KAFKA_NODE_ID ?? '';
    assert.deepEqual((env.KAFKA_PROCESS_ROLES ?? '').split(',').sort(), ['broker', 'controller'], `${node.name} is broker and controller`);
    const controllerName = env.KAFKA_CONTROLLER_LISTENER_NAMES ?? '';
    const controllerPort = listenerPort(env.KAFKA_LISTENERS ?? '', controllerName);
    assert.equal(quorum.get(id), `${node.hostname ?? node.name}:${controllerPort ?? ''}`, `${node.name} (node ${id}) is the voter at its controller listener`);
    assert.equal(env.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR, '3', `${node.name}: offsets topic on 3 nodes`);
    assert.equal(env.KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR, '3', `${node.name}: transaction log on 3 nodes`);
    assert.equal(env.KAFKA_TRANSACTION_STATE_LOG_MIN_ISR, '2', `${node.name}: transaction log needs 2 in sync`);
    assert.equal(env.KAFKA_DEFAULT_REPLICATION_FACTOR, '3', `${node.name}: topics on 3 nodes`);
    assert.equal(env.KAFKA_MIN_INSYNC_REPLICAS, '2', `${node.name}: acks=all needs 2 in sync`);
  }
});

test('paystream services bootstrap from every Kafka node on its inter-broker listener', () => {
  const services = loadServices();
  const nodes = [...services.values()].filter((s) => s.image?.startsWith('apache/kafka:') === true);
  const expected = nodes.map((n) => {
    const env = n.environment;
    return `${n.hostname ?? n.name}:${listenerPort(env.KAFKA_LISTENERS ?? '', env.KAFKA_INTER_BROKER_LISTENER_NAME ?? '') ?? ''}`;
  });
  for (const s of paystreamServices(services)) {
    assert.deepEqual((s.environment.KAFKA_BROKERS ?? '').split(',').sort(), expected.sort(), `${s.name}: KAFKA_BROKERS`);
  }
});
