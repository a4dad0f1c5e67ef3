/**
 * /healthz (the process is alive), /readyz (Kafka, Redis and PostgreSQL each answer within a
 * deadline) and /metrics (Prometheus) on the API's own port, unauthenticated.
 */
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

export type ReadinessCheck = () => Promise<unknown>;

/** A dependency that does not answer within this is not ready. */
export const READINESS_CHECK_TIMEOUT_MS = 2_000;

async function run(check: ReadinessCheck): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve('timed out'), READINESS_CHECK_TIMEOUT_MS);
  });
  try {
    return await Promise.race([check().then(() => undefined), timeout]);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    clearTimeout(timer);
  }
}

export async function registerOpsRoutes(app: FastifyInstance, options: { registry: Registry; checks: Record<string, ReadinessCheck> }): Promise<void> {
  const hide = { hide: true } as object;
  app.get('/healthz', { schema: hide }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: hide }, async (_request, reply) => {
    const results = await Promise.all(Object.entries(options.checks).map(async ([name, check]) => [name, await run(check)] as const));
    const failed = Object.fromEntries(results.filter(([, error]) => error !== undefined));
    const ready = Object.keys(failed).length === 0;
    return reply.code(ready ? 200 : 503).send(ready ? { status: 'ready' } : { status: 'not_ready', failed });
  });
  app.get('/metrics', { schema: hide }, async (_request, reply) => reply.type(options.registry.contentType).send(await options.registry.metrics()));
}
