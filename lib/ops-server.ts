/**
 * The small HTTP server every process runs beside its real work: `/metrics` for Prometheus,
 * `/healthz` (the process is alive) and `/readyz` (every dependency check passes).
 * Plain node:http keeps it independent of the API's fastify instance.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from './logger.ts';

export type ReadinessCheck = () => Promise<unknown>;

export interface OpsServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/** A readiness check that takes longer than this counts as failed: a hung dependency is not ready. */
export const READINESS_CHECK_TIMEOUT_MS = 2_000;

async function runCheck(check: ReadinessCheck): Promise<string | undefined> {
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

export interface Readiness {
  ready: boolean;
  body: { status: 'ready' } | { status: 'not_ready'; failed: Record<string, string> };
}

/** Runs every check concurrently, each bounded by the timeout; names the failing ones. */
export async function evaluateReadiness(checks: Record<string, ReadinessCheck>): Promise<Readiness> {
  const results = await Promise.all(Object.entries(checks).map(async ([name, check]) => [name, await runCheck(check)] as const));
  const failed: Record<string, string> = {};
  for (const [name, error] of results) if (error !== undefined) failed[name] = error;
  const ready = Object.keys(failed).length === 0;
  return { ready, body: ready ? { status: 'ready' } : { status: 'not_ready', failed } };
}

export async function startOpsServer(options: {
  host: string;
  port: number;
  registry: Registry;
  checks?: Record<string, ReadinessCheck>;
  logger: Logger;
}): Promise<OpsServer> {
  const checks = options.checks ?? {};
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    if (path === '/readyz') {
      void evaluateReadiness(checks).then(({ ready, body }) => {
        res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      });
      return;
    }
    if (path === '/metrics') {
      options.registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': options.registry.contentType }).end(body),
        (err: unknown) => {
          options.logger.error({ err }, 'collecting metrics failed');
          res.writeHead(500).end();
        },
      );
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://${options.host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err === undefined ? resolve() : reject(err)));
        server.closeAllConnections();
      }),
  };
}
