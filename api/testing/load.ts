/**
 * A small closed-loop HTTP load generator for the API benchmark: `connections` keep-alive
 * sockets, each sending signed POST /v1/payments back to back for `durationMs`, with a fresh
 * nonce, Idempotency-Key and merchantOrderId per request. Used where autocannon is not installed.
 */
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { signatureHeaders } from '../signature.ts';

export interface LoadOptions {
  url: string;
  path: string;
  connections: number;
  durationMs: number;
  keyId: string;
  secret: string;
}

export interface LoadResult {
  requests: number;
  /** Count per HTTP status. */
  statuses: Record<string, number>;
  requestsPerS: number;
  p50Ms: number;
  p99Ms: number;
}

function body(): string {
  const id = randomBytes(8).toString('hex');
  return JSON.stringify({ merchantOrderId: `bench-${id}`, amountMinor: 1999, currency: 'EUR', method: 'card', customer: { id: 'c-1', ip: '203.0.113.5', deviceId: 'd-1' } });
}

function once(agent: Agent, options: LoadOptions): Promise<number> {
  const raw = body();
  const headers = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(raw)),
    'idempotency-key': randomBytes(12).toString('hex'),
    ...signatureHeaders(options.keyId, options.secret, { timestamp: String(Math.floor(Date.now() / 1000)), nonce: randomBytes(16).toString('hex'), method: 'POST', pathWithQuery: options.path, body: raw }),
  };
  const target = new URL(options.path, options.url);
  return new Promise((resolve, reject) => {
    const req = request({ agent, method: 'POST', hostname: target.hostname, port: target.port, path: options.path, headers }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
      res.once('error', reject);
    });
    req.once('error', reject);
    req.end(raw);
  });
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const started = performance.now();
  const endAt = started + options.durationMs;
  const loop = async () => {
    while (performance.now() < endAt) {
      const t0 = performance.now();
      const status = await once(agent, options);
      latencies.push(performance.now() - t0);
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: options.connections }, loop));
  const elapsedS = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { requests: latencies.length, statuses, requestsPerS: latencies.length / elapsedS, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
}
