import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter } from 'prom-client';
import { createLogger } from './logger.ts';
import { createMetricsRegistry } from './metrics.ts';
import { startOpsServer } from './ops-server.ts';

const logger = createLogger({ level: 'silent' });

test('ops server serves Prometheus metrics, liveness and readiness with the failing check named', async (t) => {
  const registry = createMetricsRegistry({ role: 'test' });
  const requests = new Counter({ name: 'paystream_test_requests_total', help: 'test counter', registers: [registry] });
  requests.inc(3);
  let redisUp = false;
  const server = await startOpsServer({
    host: '127.0.0.1',
    port: 0,
    registry,
    logger,
    checks: {
      postgres: async () => undefined,
      redis: async () => {
        if (!redisUp) throw new Error('connection refused');
      },
    },
  });
  t.after(() => server.close());

  const metrics = await fetch(`${server.url}/metrics`);
  assert.equal(metrics.status, 200);
  const body = await metrics.text();
  assert.match(body, /paystream_test_requests_total\{role="test"\} 3/);
  assert.match(body, /paystream_process_cpu_seconds_total/);

  assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  const notReady = await fetch(`${server.url}/readyz`);
  assert.equal(notReady.status, 503);
  assert.deepEqual(await notReady.json(), { status: 'not_ready', failed: { redis: 'connection refused' } });
  redisUp = true;
  const ready = await fetch(`${server.url}/readyz`);
  assert.equal(ready.status, 200);
  assert.equal((await fetch(`${server.url}/nope`)).status, 404);
  assert.equal((await fetch(`${server.url}/metrics`, { method: 'POST' })).status, 405);
});
