/**
 * The API on real dependencies for integration tests and the benchmark: embedded PostgreSQL
 * (migrated), redis-server and the Kafka-protocol broker on fixed free ports (so either can be
 * stopped and started again at the same address), the embedded schema registry, and the app
 * built from them. Requests are signed like a merchant's client would sign them.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { ChannelAdapter } from '../../connectors/channels/types.ts';
import { createKafka, type Kafka, type Admin } from '../../lib/kafka.ts';
import { createLogger, type Logger } from '../../lib/logger.ts';
import { createMetricsRegistry } from '../../lib/metrics.ts';
import { createPool, type Pool } from '../../lib/postgres.ts';
import { createRedis, type Redis } from '../../lib/redis.ts';
import { Secret } from '../../lib/secret.ts';
import { waitUntil } from '../../lib/wait.ts';
import { startBroker, type EmbeddedBroker } from '../../ops/embedded/kafka/index.ts';
import { startKafka as startKafkaProcess } from '../../ops/embedded/kafka-service.ts';
import { startPostgres, type EmbeddedPostgres } from '../../ops/embedded/postgres.ts';
import { freePort } from '../../ops/embedded/ports.ts';
import { startProcess, type ManagedProcess } from '../../ops/embedded/processes.ts';
import { ensureRedisServer } from '../../ops/embedded/redis.ts';
import { startSchemaRegistry, type RunningSchemaRegistry } from '../../ops/embedded/schema-registry/index.ts';
import { migrateUp } from '../../ops/migrations/migrate.ts';
import { AvroCodec } from '../../schemas/codec.ts';
import { buildApp } from '../app.ts';
import { COMMANDS_TOPIC, KafkaCommandSink, NOTIFICATIONS_TOPIC } from '../commands.ts';
import { MerchantStore, type CreatedMerchant } from '../merchants/store.ts';
import { signatureHeaders } from '../signature.ts';

const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 20_000;

export interface HarnessOptions {
  rateLimit?: { burst: number; perSecond: number };
  nowMs?: () => number;
  /** Produce deadline: short in tests that stop Kafka. */
  produceTimeoutMs?: number;
  /** Embedded broker fsync interval; tests fsync every append, the benchmark uses the default. */
  brokerFsyncIntervalMs?: number;
  postgresPoolSize?: number;
  /**
   * Run the broker as its own process (as `paystream up` does) instead of in this one, so it does
   * not share the API's event loop; such a broker cannot be restarted by the harness.
   */
  brokerProcess?: boolean;
  channels?: ReadonlyMap<string, ChannelAdapter>;
}

export interface SignedRequest {
  method: 'GET' | 'POST';
  url: string;
  body?: unknown;
  /** Raw bytes instead of JSON.stringify(body). */
  rawBody?: string | Buffer;
  headers?: Record<string, string>;
  /** Overrides of the signed parts, for tampering tests. */
  timestamp?: string;
  nonce?: string;
}

export class ApiHarness {
  app!: FastifyInstance;
  pool!: Pool;
  redis!: Redis;
  kafka!: Kafka;
  admin!: Admin;
  codec!: AvroCodec;
  merchants!: MerchantStore;
  private postgres!: EmbeddedPostgres;
  private broker: Pick<EmbeddedBroker, 'close'> | undefined;
  private registry!: RunningSchemaRegistry;
  private redisProcess: ManagedProcess | undefined;
  private sink!: KafkaCommandSink;
  private readonly dir = mkdtempSync(join(tmpdir(), 'paystream-api-'));
  private readonly lines: string[] = [];
  readonly logger: Logger;
  kafkaPort = 0;
  redisPort = 0;

  constructor(private readonly options: HarnessOptions = {}) {
    this.logger = createLogger({
      level: 'warn',
      name: 'api-test',
      destination: {
        write: (line: string) => {
          this.lines.push(line);
          if (this.lines.length > 500) this.lines.shift();
        },
      },
    });
  }

  /** Where the services listen, as the configuration would name them. */
  endpoints(): { databaseUrl: string; redisUrl: string; kafkaBrokers: string; schemaRegistryUrl: string } {
    return { databaseUrl: this.postgres.url.reveal(), redisUrl: `redis://${HOST}:${this.redisPort}`, kafkaBrokers: `${HOST}:${this.kafkaPort}`, schemaRegistryUrl: this.registry.url };
  }

  logs(): string {
    return this.lines.join('');
  }

  async start(): Promise<this> {
    // As root, PostgreSQL runs as the postgres user and must traverse into its directory.
    chmodSync(this.dir, 0o711);
    this.postgres = await startPostgres({ dataDir: join(this.dir, 'postgres'), host: HOST, logger: this.logger });
    await migrateUp(this.postgres.url, this.logger);
    this.redisPort = await freePort(HOST);
    await this.startRedis();
    if (this.options.brokerProcess === true) {
      const proc = await startKafkaProcess({ dataDir: join(this.dir, 'kafka'), host: HOST, fsyncIntervalMs: this.options.brokerFsyncIntervalMs ?? 0, logLevel: 'warn', logger: this.logger });
      this.kafkaPort = proc.port;
      this.broker = { close: proc.stop };
    } else {
      this.kafkaPort = await freePort(HOST);
      await this.startKafka();
    }
    this.kafka = createKafka({ brokers: [`${HOST}:${this.kafkaPort}`], clientId: 'api-test', logger: this.logger, retry: { retries: 2, initialRetryTimeMs: 100, maxRetryTimeMs: 500 }, connectionTimeoutMs: 1_000, requestTimeoutMs: 5_000 });
    this.admin = this.kafka.admin();
    await this.admin.connect();
    await this.admin.createTopics({ topics: [COMMANDS_TOPIC, NOTIFICATIONS_TOPIC].map((topic) => ({ topic, numPartitions: 3, replicationFactor: 1 })), waitForLeaders: true });
    this.registry = await startSchemaRegistry({ kafkaBrokers: [`${HOST}:${this.kafkaPort}`], host: HOST, port: 0, logger: this.logger, topic: '_schemas' });
    this.codec = new AvroCodec({ registryUrl: this.registry.url, clientId: 'api-test', autoRegister: true });
    this.pool = createPool({ url: this.postgres.url, logger: this.logger, applicationName: 'api-test', ...(this.options.postgresPoolSize === undefined ? {} : { poolSize: this.options.postgresPoolSize }) });
    this.redis = createRedis({ url: new Secret(`redis://${HOST}:${this.redisPort}`), logger: this.logger, connectionName: 'api-test' });
    this.sink = new KafkaCommandSink(this.kafka, this.codec, this.options.produceTimeoutMs);
    this.merchants = new MerchantStore(this.pool, new Secret(randomBytes(32).toString('hex')));
    this.app = await buildApp({
      logger: this.logger,
      pool: this.pool,
      redis: this.redis,
      commands: this.sink,
      merchants: this.merchants,
      registry: createMetricsRegistry({ role: 'api-test' }),
      kafkaReady: async () => {
        await this.admin.fetchTopicMetadata({ topics: [COMMANDS_TOPIC] });
      },
      ...(this.options.nowMs === undefined ? {} : { nowMs: this.options.nowMs }),
      ...(this.options.rateLimit === undefined ? {} : { rateLimit: this.options.rateLimit }),
      ...(this.options.channels === undefined ? {} : { channels: this.options.channels }),
    });
    await this.app.ready();
    await waitUntil(async () => ((await this.redis.ping()) === 'PONG' ? true : undefined), { timeoutMs: START_TIMEOUT_MS, intervalMs: 20, what: 'the API Redis client' });
    return this;
  }

  async startRedis(): Promise<void> {
    const proc = startProcess(ensureRedisServer(this.logger), ['--port', String(this.redisPort), '--bind', HOST, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--logfile', ''], { name: 'redis', logger: this.logger });
    this.redisProcess = proc;
    const probe = createRedis({ url: new Secret(`redis://${HOST}:${this.redisPort}`), logger: this.logger, connectionName: 'api-test-probe' });
    try {
      await waitUntil(async () => ((await probe.ping()) === 'PONG' ? true : undefined), { timeoutMs: START_TIMEOUT_MS, intervalMs: 25, what: 'redis-server' });
    } finally {
      probe.disconnect();
    }
  }

  async stopRedis(): Promise<void> {
    await this.redisProcess?.stop('SIGKILL', 5_000);
    this.redisProcess = undefined;
  }

  /** Stops PostgreSQL for good: a restart would come up on another port (the embedded server picks one). */
  async stopPostgres(): Promise<void> {
    await this.postgres.stop();
  }

  async startKafka(): Promise<void> {
    this.broker = await startBroker({ dataDir: join(this.dir, 'kafka'), host: HOST, port: this.kafkaPort, autoCreateTopics: false, fsyncIntervalMs: this.options.brokerFsyncIntervalMs ?? 0 }, { logger: this.logger });
  }

  async stopKafka(): Promise<void> {
    await this.broker?.close();
    this.broker = undefined;
  }

  async createMerchant(name = 'Test merchant'): Promise<CreatedMerchant> {
    return this.merchants.create(name, undefined);
  }

  /** Signs and injects a request as the merchant's client would send it. */
  request(merchant: Pick<CreatedMerchant, 'keyId' | 'secret'>, req: SignedRequest): Promise<LightMyRequestResponse> {
    const raw = req.rawBody ?? (req.body === undefined ? '' : JSON.stringify(req.body));
    const parts = {
      timestamp: req.timestamp ?? String(Math.floor((this.options.nowMs?.() ?? Date.now()) / 1000)),
      nonce: req.nonce ?? randomBytes(16).toString('hex'),
      method: req.method,
      pathWithQuery: req.url,
      body: raw,
    };
    const headers: Record<string, string> = {
      ...(raw.length > 0 ? { 'content-type': 'application/json' } : {}),
      ...signatureHeaders(merchant.keyId, merchant.secret.reveal(), parts),
      ...req.headers,
    };
    return this.app.inject({ method: req.method, url: req.url, headers, ...(raw.length > 0 ? { payload: raw } : {}) });
  }

  /** How many records a topic (payments.commands by default) holds: the sum of its partitions' end offsets. */
  async commandCount(topic = COMMANDS_TOPIC): Promise<number> {
    const offsets = await this.admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, o) => sum + Number(o.high), 0);
  }

  async close(): Promise<void> {
    const steps: Array<() => Promise<unknown>> = [
      () => this.app?.close() ?? Promise.resolve(),
      () => this.sink?.close() ?? Promise.resolve(),
      () => this.admin?.disconnect() ?? Promise.resolve(),
      async () => this.redis?.disconnect(),
      () => this.pool?.end() ?? Promise.resolve(),
      () => this.registry?.close() ?? Promise.resolve(),
      () => this.stopKafka(),
      () => this.stopRedis(),
      () => this.postgres?.stop() ?? Promise.resolve(),
    ];
    // The services' child processes are unref'd: without a handle of our own, a script whose last
    // work is this close() could exit mid-way and leave them running.
    const keepAlive = setInterval(() => undefined, 1_000);
    try {
      for (const step of steps) await step().catch((err: unknown) => this.logger.error({ err }, 'harness cleanup step failed'));
      rmSync(this.dir, { recursive: true, force: true });
    } finally {
      clearInterval(keepAlive);
    }
  }
}

export function paymentBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    merchantOrderId: `order-${randomBytes(6).toString('hex')}`,
    amountMinor: 1250,
    currency: 'EUR',
    method: 'card',
    customer: { id: 'cust-1', ip: '203.0.113.7', deviceId: 'device-abc' },
    metadata: { cart: '42' },
    ...overrides,
  };
}
