/**
 * /healthz (the process is alive), /readyz (Kafka, Redis and PostgreSQL each answer within a
 * deadline) and /metrics (Prometheus) on the API's own port, unauthenticated.
 */
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { evaluateReadiness, type ReadinessCheck } from '../../lib/ops-server.ts';

export type { ReadinessCheck } from '../../lib/ops-server.ts';

export async function registerOpsRoutes(app: FastifyInstance, options: { registry: Registry; checks: Record<string, ReadinessCheck> }): Promise<void> {
  const hide = { hide: true } as object;
  app.get('/healthz', { schema: hide }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: hide }, async (_request, reply) => {
    const { ready, body } = await evaluateReadiness(options.checks);
    return reply.code(ready ? 200 : 503).send(body);
  });
  app.get('/metrics', { schema: hide }, async (_request, reply) => reply.type(options.registry.contentType).send(await options.registry.metrics()));
}
