/**
 * The one place that reads process.env. Every setting is declared once below with its parser,
 * default and description; `loadConfig` validates all of them at start, reports every bad one
 * by name, and returns a frozen object. The README's configuration table is generated from the
 * same list (`npm run paystream -- config --markdown`), so the two cannot drift.
 */
import { ConfigError, ConfigErrors } from './errors.ts';
import { Secret } from './secret.ts';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface HostPort {
  host: string;
  port: number;
}

export interface Config {
  /** Where embedded services keep their data and endpoints.json. */
  dataDir: string;
  logLevel: LogLevel;
  /** Loopback address embedded services bind to. */
  embeddedHost: string;
  /** External services; undefined means the embedded launcher provides one. */
  databaseUrl: Secret | undefined;
  redisUrl: Secret | undefined;
  kafkaBrokers: readonly HostPort[] | undefined;
  kafkaClientId: string;
  schemaRegistryUrl: string | undefined;
  apiHost: string;
  apiPort: number;
  /** Port of the process's /metrics, /healthz and /readyz server; 0 picks a free one. */
  metricsPort: number;
  /** AES-256 key for secrets at rest; undefined means the embedded default keeps one in dataDir. */
  masterKey: Secret | undefined;
  zabbixServer: string | undefined;
  zabbixPort: number;
  shutdownGraceMs: number;
  /** Embedded broker: how often partition logs are fsynced (0 = every append). */
  brokerFsyncIntervalMs: number;
  /** How long a merchant webhook is retried before it is failed (and waits for a replay). */
  webhookRetryWindowS: number;
  /** Channel settings (addresses and credentials, JSON); undefined means the embedded sandbox acquirers' file. */
  channelsFile: string | undefined;
  /** Unpaid payments expire after this long. */
  paymentExpiryS: number;
  /** Port of the router's admin API for routing rules. */
  routerAdminPort: number;
  /** Rounding of fees to whole minor units. */
  ledgerRounding: 'HALF_UP' | 'HALF_EVEN';
  /** Risk rules and thresholds (JSON) merged over the defaults; undefined keeps the defaults. */
  riskRulesFile: string | undefined;
  /** The sweeper's schedule (cron with seconds). */
  sweepSchedule: string;
  /** Overrides every channel's stuck deadline (seconds); undefined keeps the per-channel defaults. */
  sweepStuckAfterS: number | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

interface Variable<K extends keyof Config> {
  name: string;
  key: K;
  description: string;
  /** The default as an operator would write it; absent means "unset" (service embedded or feature off). */
  default?: string;
  required: boolean;
  secret?: boolean;
  parse(raw: string, name: string): Config[K];
}

// Upper bounds are there to catch typos (an extra zero), not to limit real deployments.
const SHUTDOWN_GRACE_MS_MAX = 10 * 60_000;
const FSYNC_INTERVAL_MS_MAX = 60_000;
const URL_LENGTH_MAX = 2048;
/** A week: longer delivery windows belong to a replay, not to automatic retries. */
const WEBHOOK_RETRY_WINDOW_S_MAX = 7 * 24 * 3600;

function integer(raw: string, name: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `an integer from ${min} to ${max}`, raw);
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `an integer from ${min} to ${max}`, raw);
  }
  return value;
}

const port = (raw: string, name: string): number => integer(raw, name, 0, 65535);

function hostname(raw: string, name: string): string {
  if (!/^[A-Za-z0-9.\-:[\]]{1,253}$/.test(raw)) throw new ConfigError(name, 'a host name or IP address', raw);
  return raw;
}

function url(protocols: readonly string[]) {
  return (raw: string, name: string): Secret => {
    const expected = `a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`;
    if (raw.length > URL_LENGTH_MAX) throw new ConfigError(name, expected, raw);
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch (err) {
      if (err instanceof TypeError) throw new ConfigError(name, expected, '(unparseable URL)');
      throw err;
    }
    // The value may hold a password, so the error never echoes it.
    if (!protocols.includes(parsed.protocol) || parsed.hostname === '') throw new ConfigError(name, expected, '(see value)');
    return new Secret(raw);
  };
}

function brokers(raw: string, name: string): HostPort[] {
  const expected = 'a comma-separated list of host:port';
  const list = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (list.length === 0) throw new ConfigError(name, expected, raw);
  return list.map((entry) => {
    const match = /^(.+):(\d{1,5})$/.exec(entry);
    if (match === null) throw new ConfigError(name, expected, raw);
    const p = Number(match[2]);
    if (p < 1 || p > 65535) throw new ConfigError(name, expected, raw);
    return { host: hostname(match[1] ?? '', name), port: p };
  });
}

function masterKey(raw: string, name: string): Secret {
  const expected = '32 bytes as 64 hex characters or base64';
  let bytes: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(raw)) bytes = Buffer.from(raw, 'hex');
  else if (/^[A-Za-z0-9+/]{43}=?$/.test(raw)) bytes = Buffer.from(raw, 'base64');
  if (bytes?.length !== 32) throw new ConfigError(name, expected, '(value hidden)');
  return new Secret(bytes.toString('hex'));
}

function oneOf<T extends string>(values: readonly T[]) {
  return (raw: string, name: string): T => {
    const found = values.find((v) => v === raw);
    if (found === undefined) throw new ConfigError(name, `one of ${values.join(', ')}`, raw);
    return found;
  };
}

function text(max: number, pattern: RegExp, what: string) {
  return (raw: string, name: string): string => {
    if (raw.length === 0 || raw.length > max || !pattern.test(raw)) throw new ConfigError(name, what, raw);
    return raw;
  };
}

function httpUrl(raw: string, name: string): string {
  return url(['http:', 'https:'])(raw, name).reveal();
}

const variables = [
  { name: 'PAYSTREAM_DATA_DIR', key: 'dataDir', default: '.paystream', required: false, description: 'Directory for embedded service data and endpoints.json.', parse: text(4096, /^[^\0]+$/, 'a directory path') },
  { name: 'LOG_LEVEL', key: 'logLevel', default: 'info', required: false, description: 'pino log level.', parse: oneOf(LOG_LEVELS) },
  { name: 'PAYSTREAM_EMBEDDED_HOST', key: 'embeddedHost', default: '127.0.0.1', required: false, description: 'Loopback address the embedded services listen on.', parse: hostname },
  { name: 'DATABASE_URL', key: 'databaseUrl', required: false, secret: true, description: 'PostgreSQL URL; unset starts embedded PostgreSQL.', parse: url(['postgres:', 'postgresql:']) },
  { name: 'REDIS_URL', key: 'redisUrl', required: false, secret: true, description: 'Redis URL; unset starts redis-server.', parse: url(['redis:', 'rediss:']) },
  { name: 'KAFKA_BROKERS', key: 'kafkaBrokers', required: false, description: 'Kafka bootstrap servers (host:port,...); unset starts the embedded broker.', parse: brokers },
  { name: 'KAFKA_CLIENT_ID', key: 'kafkaClientId', default: 'paystream', required: false, description: 'Kafka client id prefix.', parse: text(200, /^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" or "-" (1-200)') },
  { name: 'SCHEMA_REGISTRY_URL', key: 'schemaRegistryUrl', required: false, description: 'Confluent-compatible schema registry URL; unset starts the embedded registry.', parse: httpUrl },
  { name: 'API_HOST', key: 'apiHost', default: '127.0.0.1', required: false, description: 'Address the ingress API listens on.', parse: hostname },
  { name: 'API_PORT', key: 'apiPort', default: '8080', required: false, description: 'Port of the ingress API (0 = free port).', parse: port },
  { name: 'METRICS_PORT', key: 'metricsPort', default: '0', required: false, description: 'Port of /metrics, /healthz, /readyz (0 = free port).', parse: port },
  { name: 'PAYSTREAM_MASTER_KEY', key: 'masterKey', required: false, secret: true, description: 'AES-256 key (64 hex chars or base64) for secrets at rest; unset keeps a generated one in the data dir.', parse: masterKey },
  { name: 'ZABBIX_SERVER', key: 'zabbixServer', required: false, description: 'Zabbix server host for the Zabbix connector; unset disables it.', parse: hostname },
  { name: 'ZABBIX_PORT', key: 'zabbixPort', default: '10051', required: false, description: 'Zabbix trapper port.', parse: port },
  { name: 'SHUTDOWN_GRACE_MS', key: 'shutdownGraceMs', default: '10000', required: false, description: 'How long a stopping process may drain before it exits.', parse: (raw: string, name: string) => integer(raw, name, 0, SHUTDOWN_GRACE_MS_MAX) },
  { name: 'BROKER_FSYNC_INTERVAL_MS', key: 'brokerFsyncIntervalMs', default: '1000', required: false, description: 'Embedded broker fsync interval (0 = every append; writes always precede acks).', parse: (raw: string, name: string) => integer(raw, name, 0, FSYNC_INTERVAL_MS_MAX) },
  { name: 'WEBHOOK_RETRY_WINDOW_S', key: 'webhookRetryWindowS', default: '86400', required: false, description: 'How long a merchant webhook is retried (exponential backoff) before it is failed and waits for `paystream webhooks replay`.', parse: (raw: string, name: string) => integer(raw, name, 1, WEBHOOK_RETRY_WINDOW_S_MAX) },
  { name: 'CHANNELS_FILE', key: 'channelsFile', required: false, secret: false, description: 'Channel settings file (JSON: base URL and credentials per channel, mode 0600); unset: the sandbox acquirers the embedded launcher starts.', parse: (raw: string, name: string) => { if (raw.trim() === '' || raw.length > URL_LENGTH_MAX) throw new ConfigError(name, 'a file path', raw); return raw; } },
  { name: 'PAYMENT_EXPIRY_S', key: 'paymentExpiryS', default: '1800', required: false, description: 'Unpaid payments expire after this many seconds (the sweeper expires them; a later success at the channel is refunded).', parse: (raw: string, name: string) => integer(raw, name, 60, WEBHOOK_RETRY_WINDOW_S_MAX) },
  { name: 'ROUTER_ADMIN_PORT', key: 'routerAdminPort', default: '0', required: false, description: 'Port of the router admin API for routing rules (0 = free port).', parse: port },
  { name: 'LEDGER_ROUNDING', key: 'ledgerRounding', default: 'HALF_UP', required: false, description: 'How fees are rounded to whole minor units: HALF_UP or HALF_EVEN (banker\'s rounding).', parse: (raw: string, name: string) => { if (raw !== 'HALF_UP' && raw !== 'HALF_EVEN') throw new ConfigError(name, 'HALF_UP or HALF_EVEN', raw); return raw; } },
  { name: 'RISK_RULES_FILE', key: 'riskRulesFile', required: false, description: 'Risk rules and thresholds (JSON, streams/risk/rules.ts) merged over the defaults and validated at start.', parse: (raw: string, name: string) => { if (raw.trim() === '' || raw.length > URL_LENGTH_MAX) throw new ConfigError(name, 'a file path', raw); return raw; } },
  { name: 'SWEEP_SCHEDULE', key: 'sweepSchedule', default: '*/30 * * * * *', required: false, description: 'When the stuck-payment sweeper runs (cron with seconds; one instance sweeps at a time).', parse: (raw: string, name: string) => { if (!/^[\d*/,\- ]{9,100}$/.test(raw) || raw.trim().split(/\s+/).length !== 6) throw new ConfigError(name, 'a six-field cron expression (seconds first)', raw); return raw.trim(); } },
  { name: 'SWEEP_STUCK_AFTER_S', key: 'sweepStuckAfterS', required: false, description: "How long a payment may wait on a channel before the sweeper queries it; unset: each channel's own deadline (2 min cards, 10 min wallets).", parse: (raw: string, name: string) => integer(raw, name, 0, WEBHOOK_RETRY_WINDOW_S_MAX) },
] as const satisfies readonly Variable<keyof Config>[];

/** Every environment variable paystream reads, for documentation and deployment checks. */
export const CONFIG_VARIABLES: readonly { name: string; required: boolean; default?: string; secret: boolean; description: string }[] =
  variables.map((v) => ({
    name: v.name,
    required: v.required,
    ...('default' in v ? { default: v.default } : {}),
    secret: 'secret' in v && v.secret,
    description: v.description,
  }));

/** Reads and validates every setting; throws ConfigErrors naming each invalid variable. */
export function loadConfig(env: Env = process.env): Readonly<Config> {
  const out: Record<string, unknown> = {};
  const errors: ConfigError[] = [];
  for (const v of variables as readonly Variable<keyof Config>[]) {
    const given = env[v.name];
    const raw = given === undefined || given === '' ? v.default : given;
    if (raw === undefined) {
      if (v.required) errors.push(new ConfigError(v.name, 'set', undefined));
      out[v.key] = undefined;
      continue;
    }
    try {
      out[v.key] = v.parse(raw, v.name);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      errors.push(err);
    }
  }
  if (errors.length > 0) throw new ConfigErrors(errors);
  return Object.freeze(out as unknown as Config);
}

/** The README table: name, default, description. */
export function configMarkdownTable(): string {
  const rows = CONFIG_VARIABLES.map((v) => `| \`${v.name}\` | ${v.default === undefined ? '(unset)' : `\`${v.default}\``} | ${v.description} |`);
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}
