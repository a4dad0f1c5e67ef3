/**
 * A man-in-the-middle for tests: forwards HTTP to a target and lets a test rewrite request or
 * answer bodies in flight, to prove that signatures catch tampering in both directions.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TamperProxy {
  url: string;
  /** Rewrites the next request bodies (return the body unchanged to pass through). */
  tamperRequest: ((body: string) => string) | null;
  tamperAnswer: ((body: string) => string) | null;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startTamperProxy(targetUrl: string): Promise<TamperProxy> {
  const proxy: TamperProxy = { url: '', tamperRequest: null, tamperAnswer: null, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host' && k !== 'content-length' && k !== 'connection') headers[k] = v;
      const sent = proxy.tamperRequest === null ? body : proxy.tamperRequest(body);
      const upstream = await fetch(`${targetUrl}${req.url ?? '/'}`, { method: req.method ?? 'GET', headers, body: req.method === 'GET' ? null : sent });
      const answer = await upstream.text();
      const out = proxy.tamperAnswer === null ? answer : proxy.tamperAnswer(answer);
      const outHeaders: Record<string, string> = {};
      upstream.headers.forEach((v, k) => {
        if (k !== 'content-length' && k !== 'connection' && k !== 'keep-alive' && k !== 'transfer-encoding') outHeaders[k] = v;
      });
      res.writeHead(upstream.status, outHeaders).end(out);
    })().catch((err: unknown) => {
      res.destroy(err instanceof Error ? err : new Error(String(err)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((err) => (err === undefined ? resolve() : reject(err)));
    });
  return proxy;
}
