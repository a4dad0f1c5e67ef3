/**
 * The API benchmark's load: autocannon (closed loop, `connections` keep-alive sockets, one request
 * in flight each) sending signed POST requests, each with a fresh nonce, Idempotency-Key and
 * merchantOrderId built in `setupRequest`, so every request is a new payment the API must accept.
 */
import autocannon from 'autocannon';
import { randomHex } from '../../lib/random.ts';
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
  /** Count per HTTP status; `error` counts connection errors and timeouts. */
  statuses: Record<string, number>;
  requestsPerS: number;
  p50Ms: number;
  p99Ms: number;
}

function signedRequest(options: LoadOptions): autocannon.Request {
  const raw = JSON.stringify({ merchantOrderId: `bench-${randomHex(8)}`, amountMinor: 1999, currency: 'EUR', method: 'card', customer: { id: 'c-1', ip: '203.0.113.5', deviceId: 'd-1' } });
  return {
    method: 'POST',
    path: options.path,
    body: raw,
    headers: {
      'content-type': 'application/json',
      'idempotency-key': randomHex(12),
      ...signatureHeaders(options.keyId, options.secret, { timestamp: String(Math.floor(Date.now() / 1000)), nonce: randomHex(16), method: 'POST', pathWithQuery: options.path, body: raw }),
    },
  };
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationMs / 1000,
    requests: [{ setupRequest: () => signedRequest(options) }],
  });
  const statuses: Record<string, number> = {};
  for (const [status, stats] of Object.entries(result.statusCodeStats ?? {})) statuses[status] = stats.count ?? 0;
  if (result.errors > 0) statuses.error = result.errors;
  const requests = result.requests.total;
  return { requests, statuses, requestsPerS: requests / result.duration, p50Ms: result.latency.p50, p99Ms: result.latency.p99 };
}
