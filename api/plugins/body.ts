/**
 * JSON bodies only (anything else is 415), at most BODY_BYTES_MAX (413), kept as raw bytes for
 * the signature check. A body that is not JSON is not refused here: the signature is checked
 * first (an unauthenticated caller learns nothing), then `rejectInvalidJson` answers 400.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ApiError } from '../errors.ts';
import { BODY_BYTES_MAX } from '../limits.ts';

declare module 'fastify' {
  interface FastifyRequest {
    rawBody: Buffer | undefined;
  }
}

/** Stands in for the body of a request whose bytes are not JSON. */
export const INVALID_JSON = Symbol('invalid JSON');

function parseJson(raw: Buffer): unknown {
  try {
    // JSON.parse makes "__proto__" an own property, never the prototype; the schemas then refuse
    // unknown fields, and maps are copied with Object.fromEntries (own properties only).
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch (err) {
    // SyntaxError for bad JSON; RangeError when nesting is deep enough to exhaust the stack.
    if (err instanceof SyntaxError || err instanceof RangeError) return INVALID_JSON;
    throw err;
  }
}

async function bodyPlugin(app: FastifyInstance): Promise<void> {
  app.decorateRequest('rawBody', undefined);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: BODY_BYTES_MAX }, (request: FastifyRequest, body: Buffer | string, done) => {
    const raw = typeof body === 'string' ? Buffer.from(body) : body;
    request.rawBody = raw;
    done(null, raw.length === 0 ? INVALID_JSON : parseJson(raw));
  });
}

export function rejectInvalidJson(request: FastifyRequest): void {
  if (request.body === INVALID_JSON) throw new ApiError('invalid_json', 'the body is not valid JSON');
}

export default fp(bodyPlugin, { name: 'paystream-body' });
