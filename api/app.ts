/**
 * Builds the ingress API as a fastify instance from its dependencies (no I/O of its own at
 * build time), so tests call `app.inject()` on exactly what production listens with.
 *
 *   /v1/payments*    merchant routes: signature auth → admission (nonce, rate limit, Idempotency-Key
 *                    lock: one Redis script) → JSON check → schema → handler
 *   /v1/channels/:channel/notifications   channel callbacks, verified by the channel's adapter
 *   /openapi.json    generated from the route schemas; /docs renders it
 *   /healthz /readyz /metrics
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { ChannelAdapter } from '../connectors/channels/types.ts';
import { LazyChildLogger, type Logger } from '../lib/logger.ts';
import { randomHex } from '../lib/random.ts';
import type { Pool } from '../lib/postgres.ts';
import type { Redis } from '../lib/redis.ts';
import type { CommandSink } from './commands.ts';
import { IdempotencyStore } from './idempotency.ts';
import { BODY_BYTES_MAX, RATE_LIMIT_BURST, RATE_LIMIT_PER_S } from './limits.ts';
import type { MerchantStore } from './merchants/store.ts';
import { registerAuth } from './plugins/auth.ts';
import bodyPlugin, { rejectInvalidJson } from './plugins/body.ts';
import problemPlugin from './plugins/problem.ts';
import { registerAdmission } from './plugins/admission.ts';
import { AcceptBatcher } from './payments/accept-batcher.ts';
import { PaymentRepository } from './payments/repository.ts';
import { problemSchema } from './payments/schemas.ts';
import { registerChannelNotificationRoutes } from './routes/channel-notifications.ts';
import { registerOpenApi } from './routes/openapi.ts';
import { registerOpsRoutes, type ReadinessCheck } from './routes/ops.ts';
import { registerPaymentActionRoutes } from './routes/payment-actions.ts';
import { registerPaymentReadRoutes } from './routes/payment-reads.ts';
import { registerPaymentRoutes } from './routes/payments.ts';

export interface ApiDeps {
  logger: Logger;
  pool: Pool;
  redis: Redis;
  commands: CommandSink;
  merchants: MerchantStore;
  registry: Registry;
  /** Kafka's readiness; Redis and PostgreSQL are checked through the clients above. */
  kafkaReady: ReadinessCheck;
  nowMs?: () => number;
  rateLimit?: { burst: number; perSecond: number };
  /** Channel adapters whose callbacks the API takes, by channel id. */
  channels?: ReadonlyMap<string, ChannelAdapter>;
}

export const API_VERSION = '1.0.0';

function metrics(registry: Registry) {
  return {
    requests: new Histogram({ name: 'paystream_api_request_duration_seconds', help: 'API request latency by route and status', labelNames: ['route', 'status'] as const, registers: [registry], buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5] }),
    rejections: new Counter({ name: 'paystream_api_rejections_total', help: 'Requests answered with a problem document, by code', labelNames: ['code'] as const, registers: [registry] }),
    channelNotifications: new Counter({ name: 'paystream_api_channel_notifications_total', help: 'Channel callbacks by channel and outcome (accepted, or the reason they were refused)', labelNames: ['channel', 'outcome'] as const, registers: [registry] }),
    authFailures: new Counter({ name: 'paystream_api_auth_failures_total', help: 'Signature checks that failed, by reason', labelNames: ['reason'] as const, registers: [registry] }),
  };
}

export async function buildApp(deps: ApiDeps): Promise<FastifyInstance> {
  const nowMs = deps.nowMs ?? Date.now;
  const m = metrics(deps.registry);
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: BODY_BYTES_MAX,
    genReqId: () => `req_${randomHex(12)}`,
    requestIdHeader: false,
    logController: new LogController({ disableRequestLogging: true }),
    // Most requests log nothing: their child logger (request id binding) is built on first use.
    childLoggerFactory: (logger, bindings, options) => new LazyChildLogger(logger as Logger, bindings, options) as unknown as FastifyBaseLogger,
    return503OnClosing: true,
    // Unknown fields are refused, not silently dropped (fastify's default strips them), and
    // values are never coerced: "100" is not an amount.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } },
  });
  app.addSchema(problemSchema);
  await app.register(problemPlugin, { rejections: m.rejections });
  await app.register(bodyPlugin);
  app.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    m.requests.observe({ route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  await registerOpenApi(app, { title: 'paystream ingress API', version: API_VERSION });
  await registerOpsRoutes(app, {
    registry: deps.registry,
    checks: { kafka: deps.kafkaReady, redis: () => deps.redis.ping(), postgres: () => deps.pool.query('SELECT 1') },
  });

  const payments = new PaymentRepository(deps.pool);
  const routeDeps = { payments, accepts: new AcceptBatcher(deps.pool, payments), idempotency: new IdempotencyStore(deps.redis), commands: deps.commands, nowMs };
  // Channel callbacks carry the channel's own signature, not a merchant's: a scope of their own.
  await app.register((channels) => registerChannelNotificationRoutes(channels, { channels: deps.channels ?? new Map(), commands: deps.commands, nowMs, received: m.channelNotifications }), { prefix: '/v1/channels' });
  await app.register(
    async (v1) => {
      await registerAuth(v1, { merchants: deps.merchants, nowMs, failures: m.authFailures });
      await registerAdmission(v1, { redis: deps.redis, idempotency: routeDeps.idempotency, failures: m.authFailures, ...(deps.rateLimit ?? { burst: RATE_LIMIT_BURST, perSecond: RATE_LIMIT_PER_S }) });
      v1.addHook('preValidation', async (request) => rejectInvalidJson(request));
      await registerPaymentRoutes(v1, routeDeps);
      await registerPaymentReadRoutes(v1, { payments });
      await registerPaymentActionRoutes(v1, routeDeps);
    },
    { prefix: '/v1' },
  );
  return app;
}
