/**
 * OpenAPI 3.1 generated from the route schemas (collected as routes are added), at
 * /openapi.json, and a self-contained page at /docs that renders it without any external script.
 */
import type { FastifyInstance, RouteOptions } from 'fastify';
import { problemSchema } from '../payments/schemas.ts';

interface RouteSchema {
  summary?: string;
  description?: string;
  body?: unknown;
  params?: { properties?: Record<string, unknown> };
  querystring?: { properties?: Record<string, unknown> };
  response?: Record<string, unknown>;
}

const SIGNATURE_HEADERS = ['X-Paystream-Key', 'X-Paystream-Timestamp', 'X-Paystream-Nonce', 'X-Paystream-Signature'];

function replaceRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(replaceRefs);
  if (typeof value !== 'object' || value === null) return value;
  if ((value as { $ref?: unknown }).$ref === 'problem#') return { $ref: '#/components/schemas/Problem' };
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceRefs(v)]));
}

function operation(route: RouteOptions) {
  const schema = (route.schema ?? {}) as RouteSchema;
  // Channel callbacks are verified with each channel's own scheme, not the merchant signature.
  const signed = route.url.startsWith('/v1/') && !route.url.startsWith('/v1/channels/');
  const parameters = [
    ...Object.entries(schema.params?.properties ?? {}).map(([name, s]) => ({ name, in: 'path', required: true, schema: s })),
    ...Object.entries(schema.querystring?.properties ?? {}).map(([name, s]) => ({ name, in: 'query', required: false, schema: s })),
    ...(signed ? SIGNATURE_HEADERS.map((name) => ({ name, in: 'header', required: true, schema: { type: 'string' } })) : []),
  ];
  const responses = Object.fromEntries(
    Object.entries(schema.response ?? { 200: {} }).map(([status, s]) => [
      status,
      { description: status.startsWith('2') ? 'success' : 'problem', content: { [status.startsWith('2') ? 'application/json' : 'application/problem+json']: { schema: replaceRefs(s) } } },
    ]),
  );
  return {
    ...(schema.summary === undefined ? {} : { summary: schema.summary }),
    ...(schema.description === undefined ? {} : { description: schema.description }),
    ...(parameters.length === 0 ? {} : { parameters }),
    ...(schema.body === undefined ? {} : { requestBody: { required: true, content: { 'application/json': { schema: schema.body } } } }),
    responses,
  };
}

const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>paystream API</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}pre{background:#f4f4f4;padding:.5rem;overflow:auto}h2{font-family:monospace}</style>
</head><body><h1>paystream ingress API</h1><p>Machine-readable: <a href="/openapi.json">/openapi.json</a>. Every /v1 request is signed (see the README).</p><div id="ops"></div>
<script>
fetch('/openapi.json').then(r => r.json()).then(doc => {
  const root = document.getElementById('ops');
  for (const [path, methods] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(methods)) {
    const h = document.createElement('h2'); h.textContent = method.toUpperCase() + ' ' + path; root.appendChild(h);
    const p = document.createElement('p'); p.textContent = (op.summary || '') + (op.description ? ' — ' + op.description : ''); root.appendChild(p);
    const pre = document.createElement('pre'); pre.textContent = JSON.stringify({ parameters: op.parameters, requestBody: op.requestBody, responses: op.responses }, null, 2); root.appendChild(pre);
  }
});
</script></body></html>
`;

export async function registerOpenApi(app: FastifyInstance, info: { title: string; version: string }): Promise<void> {
  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (route) => {
    if (route.schema !== undefined && (route.schema as { hide?: boolean }).hide !== true) routes.push(route);
  });
  let document: unknown;
  const build = () => {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const route of routes) {
      const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      for (const method of [route.method].flat()) {
        if (method === 'HEAD') continue;
        paths[path] = { ...paths[path], [method.toLowerCase()]: operation(route) };
      }
    }
    const { $id: _id, ...problem } = problemSchema;
    return { openapi: '3.1.0', info, paths, components: { schemas: { Problem: problem } } };
  };
  app.get('/openapi.json', { schema: { hide: true } as object }, async () => (document ??= build()));
  app.get('/docs', { schema: { hide: true } as object }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(DOCS_HTML));
}
