/**
 * Every error leaves the API as an RFC 9457 problem document
 * (https://www.rfc-editor.org/rfc/rfc9457): `type`, `title`, `status`, `detail`, plus our stable
 * `code` and the `requestId` that is also in the logs and the X-Request-Id header. Anything that
 * is not an expected failure is logged and answered as a bare 500 without internals.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Counter } from 'prom-client';
import { API_ERRORS, ApiError, type ApiErrorCode } from '../errors.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** fastify's own errors that are the client's fault, by fastify's stable error code. */
const FASTIFY_CODES: Record<string, ApiErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_request',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_VALIDATION: 'invalid_request',
};

export function problemBody(code: ApiErrorCode, detail: string, requestId: string, extensions: Record<string, unknown> = {}) {
  const { status, title } = API_ERRORS[code];
  return { ...extensions, type: `/problems/${code}`, title, status, detail, code, requestId };
}

function toApiError(err: FastifyError | ApiError | Error): ApiError | undefined {
  if (err instanceof ApiError) return err;
  const code = (err as FastifyError).code;
  const mapped = typeof code === 'string' ? FASTIFY_CODES[code] : undefined;
  if (mapped !== undefined) {
    const validation = (err as FastifyError).validation;
    const extensions = validation === undefined ? {} : { errors: validation.map((v) => ({ path: v.instancePath === '' ? '/' : v.instancePath, message: v.message ?? 'invalid' })) };
    return new ApiError(mapped, err.message, { extensions });
  }
  const status = (err as FastifyError).statusCode;
  // Other fastify client errors (e.g. a malformed URL) keep their 4xx, as invalid requests.
  if (typeof status === 'number' && status >= 400 && status < 500) return new ApiError('invalid_request', err.message);
  return undefined;
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, err: ApiError): FastifyReply {
  for (const [name, value] of Object.entries(err.headers)) void reply.header(name, value);
  return reply.code(err.status).type(PROBLEM_CONTENT_TYPE).send(problemBody(err.code, err.message, request.id, err.extensions));
}

async function problemPlugin(app: FastifyInstance, options: { rejections?: Counter<'code'> }): Promise<void> {
  app.setErrorHandler((err: FastifyError | Error, request, reply) => {
    const apiError = toApiError(err);
    if (apiError === undefined) {
      request.log.error({ err }, 'unexpected error');
      options.rejections?.inc({ code: 'internal' });
      return sendProblem(reply, request, new ApiError('internal', 'an unexpected error occurred; it was logged with this requestId'));
    }
    if (apiError.status >= 500) request.log.warn({ err: apiError, cause: apiError.cause }, apiError.message);
    options.rejections?.inc({ code: apiError.code });
    return sendProblem(reply, request, apiError);
  });
  app.setNotFoundHandler((request, reply) => {
    options.rejections?.inc({ code: 'not_found' });
    return sendProblem(reply, request, new ApiError('not_found', `no route for ${request.method} ${request.url.split('?')[0] ?? ''}`));
  });
}

export default fp(problemPlugin, { name: 'paystream-problem' });
