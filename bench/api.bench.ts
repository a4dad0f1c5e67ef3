/**
 * Ingress API throughput: signed POST /v1/payments through the whole app (signature, nonce and
 * rate limit in Redis, idempotency, PostgreSQL insert, durable Avro produce with acks=-1) at 50
 * keep-alive connections for 10 s, against a bare fastify endpoint that only verifies the same
 * HMAC, measured back to back in each run. Target: at least 0.5 of the bare rate.
 *
 * The load is autocannon (api/testing/load.ts) in a child process, the same for both servers.
 */
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { ApiHarness } from '../api/testing/harness.ts';
import type { LoadOptions, LoadResult } from '../api/testing/load.ts';
import { parseSignatureHeader, signatureMatches } from '../api/signature.ts';
import { recordFigure } from './lib/result.ts';

const CONNECTIONS = 50;
const DURATION_MS = 10_000;
const RUNS = 3;
const TARGET = 0.5;

function load(options: LoadOptions): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../api/testing/load-worker.ts', import.meta.url)), JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as LoadResult) : reject(new Error(`load generator exited ${code}`))));
  });
}

/** The baseline: fastify, raw body, the same HMAC check, 202; no Redis, PostgreSQL or Kafka. */
async function bareServer(secret: string) {
  const app = Fastify({ logger: false });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.post('/v1/payments', async (request, reply) => {
    const raw = request.body as Buffer;
    const presented = parseSignatureHeader(String(request.headers['x-paystream-signature']));
    const parts = { timestamp: String(request.headers['x-paystream-timestamp']), nonce: String(request.headers['x-paystream-nonce']), method: 'POST', pathWithQuery: request.url, body: raw };
    if (presented === undefined || !signatureMatches(secret, parts, presented, createHash('sha256').update(raw).digest('hex'))) return reply.code(401).send();
    return reply.code(202).send({ paymentId: 'bare', status: 'accepted' });
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url };
}

const h = await new ApiHarness({ rateLimit: { burst: 1_000_000, perSecond: 1_000_000 }, brokerFsyncIntervalMs: 1_000, postgresPoolSize: 20, brokerProcess: true }).start();
try {
  const merchant = await h.createMerchant('bench');
  const apiUrl = await h.app.listen({ host: '127.0.0.1', port: 0 });
  const bare = await bareServer(merchant.secret.reveal());
  const base = { path: '/v1/payments', connections: CONNECTIONS, durationMs: DURATION_MS, keyId: merchant.keyId, secret: merchant.secret.reveal() };
  const runs: Array<{ value: number; baseline: number } & Record<string, number | string>> = [];
  for (let i = 0; i < RUNS; i += 1) {
    // CPU of this process (the API or the bare server, whichever is under load) per answered request.
    const cpuPerRequestUs = async (run: () => Promise<LoadResult>): Promise<[LoadResult, number]> => {
      const before = process.cpuUsage();
      const result = await run();
      const used = process.cpuUsage(before);
      return [result, Math.round((used.user + used.system) / Math.max(1, result.requests))];
    };
    const [api, apiCpuUs] = await cpuPerRequestUs(() => load({ ...base, url: apiUrl }));
    const [plain, bareCpuUs] = await cpuPerRequestUs(() => load({ ...base, url: bare.url }));
    const failed = Object.entries(api.statuses).filter(([status]) => status !== '202');
    if (failed.length > 0) throw new Error(`the API answered other than 202: ${JSON.stringify(api.statuses)}\n${h.logs().slice(-2000)}`);
    runs.push({ value: api.requestsPerS, baseline: plain.requestsPerS, apiP50Ms: api.p50Ms, apiP99Ms: api.p99Ms, bareP50Ms: plain.p50Ms, bareP99Ms: plain.p99Ms, apiRequests: api.requests, apiCpuUsPerRequest: apiCpuUs, bareCpuUsPerRequest: bareCpuUs });
    console.log(`run ${i + 1}: api ${api.requestsPerS.toFixed(0)} req/s (p50 ${api.p50Ms.toFixed(1)} ms, p99 ${api.p99Ms.toFixed(1)} ms, ${apiCpuUs} µs CPU/request); bare HMAC ${plain.requestsPerS.toFixed(0)} req/s (p50 ${plain.p50Ms.toFixed(1)} ms, p99 ${plain.p99Ms.toFixed(1)} ms, ${bareCpuUs} µs CPU/request)`);
  }
  recordFigure({
    name: 'api-create-payment',
    unit: 'req/s',
    baselineName: 'bare fastify HMAC check',
    target: TARGET,
    workload: `signed POST /v1/payments, ${CONNECTIONS} keep-alive connections, ${DURATION_MS / 1000} s per run, a new Idempotency-Key and order per request; embedded PostgreSQL, redis-server and broker (its own process) on the same machine; baseline: fastify verifying the same HMAC only`,
    runs,
  });
  await bare.app.close();
} finally {
  await h.close();
}
