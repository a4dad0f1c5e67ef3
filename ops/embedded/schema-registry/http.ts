/**
 * The Confluent Schema Registry REST subset, as fastify routes over RegistryService.
 * Reference: https://docs.confluent.io/platform/current/schema-registry/develop/api.html
 *
 * Requests may be sent as application/vnd.schemaregistry.v1+json (what
 * @kafkajs/confluent-schema-registry and Confluent's clients send),
 * application/vnd.schemaregistry+json, application/json or application/octet-stream; all are JSON.
 * Every error answers with the Confluent body `{ error_code, message }`.
 */
import Fastify, { LogController, type FastifyError } from 'fastify';
import type { Logger } from '../../../lib/logger.ts';
import { RegistryError } from './errors.ts';
import { REQUEST_BODY_BYTES_MAX } from './limits.ts';
import type { RegistryService, SchemaRequest } from './service.ts';
import type { VersionEntry } from './state.ts';

export const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
const JSON_TYPES = ['application/vnd.schemaregistry.v1+json', 'application/vnd.schemaregistry+json', 'application/octet-stream'];

interface SubjectParams {
  subject: string;
}
interface VersionParams extends SubjectParams {
  version: string;
}
interface IdParams {
  id: string;
}
interface FlagQuery {
  deleted?: string;
  verbose?: string;
  defaultToGlobal?: string;
  permanent?: string;
}

function versionBody(entry: VersionEntry): { subject: string; version: number; id: number; schema: string } {
  return { subject: entry.subject, version: entry.version, id: entry.id, schema: entry.schema };
}

function parseId(text: string): number {
  const id = /^\d{1,10}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(id)) throw new RegistryError('schema_not_found', `Schema ${text} not found`);
  return id;
}

const isTrue = (flag: string | undefined): boolean => flag === 'true';

function levelFrom(body: unknown): unknown {
  return typeof body === 'object' && body !== null ? (body as { compatibility?: unknown }).compatibility : undefined;
}

export function buildRegistryApp(service: RegistryService, logger: Logger) {
  // Per-request logs would double every client call in the logs; failures are logged below.
  const app = Fastify({ loggerInstance: logger, bodyLimit: REQUEST_BODY_BYTES_MAX, logController: new LogController({ disableRequestLogging: true }) });
  app.addContentTypeParser(JSON_TYPES, { parseAs: 'string', bodyLimit: REQUEST_BODY_BYTES_MAX }, app.getDefaultJsonParser('error', 'error'));

  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('content-type', CONTENT_TYPE);
    return payload;
  });

  app.setErrorHandler((err: FastifyError | RegistryError, request, reply) => {
    if (err instanceof RegistryError) {
      if (err.status >= 500) request.log.error({ err }, 'registry request failed');
      return reply.code(err.status).send(err.body());
    }
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) request.log.error({ err }, 'registry request failed');
    // Malformed bodies (bad JSON, too large, wrong content type) are client errors.
    return reply.code(status === 400 ? 422 : status).send({ error_code: status === 400 ? 422 : status, message: status === 500 ? 'Internal Server Error' : err.message });
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ error_code: 404, message: `HTTP 404 Not Found: ${request.method} ${request.url}` }));

  app.get('/', async () => ({}));
  app.get('/schemas/types', async () => ['AVRO']);

  app.get<{ Querystring: FlagQuery }>('/subjects', async (request) => service.subjects(isTrue(request.query.deleted)));
  app.get<{ Params: SubjectParams; Querystring: FlagQuery }>('/subjects/:subject/versions', async (request) =>
    service.versionNumbers(request.params.subject, isTrue(request.query.deleted)),
  );
  app.get<{ Params: VersionParams }>('/subjects/:subject/versions/:version', async (request) =>
    versionBody(service.version(request.params.subject, request.params.version)),
  );
  app.get<{ Params: VersionParams }>('/subjects/:subject/versions/:version/schema', async (request, reply) =>
    reply.type(CONTENT_TYPE).send(service.version(request.params.subject, request.params.version).schema),
  );
  app.post<{ Params: SubjectParams; Body: SchemaRequest }>('/subjects/:subject/versions', async (request) => service.register(request.params.subject, request.body));
  app.post<{ Params: SubjectParams; Body: SchemaRequest }>('/subjects/:subject', async (request) => versionBody(service.lookup(request.params.subject, request.body)));
  app.delete<{ Params: SubjectParams; Querystring: FlagQuery }>('/subjects/:subject', async (request) => {
    if (isTrue(request.query.permanent)) throw new RegistryError('invalid_request', 'Permanent deletes are not supported by this registry; soft deletes keep ids stable');
    return service.deleteSubject(request.params.subject);
  });

  app.get<{ Params: IdParams }>('/schemas/ids/:id', async (request) => ({ schema: service.schemaById(parseId(request.params.id)) }));
  app.get<{ Params: IdParams }>('/schemas/ids/:id/schema', async (request, reply) => reply.send(service.schemaById(parseId(request.params.id))));

  const compatibility = (subject: string, version: string | undefined, body: SchemaRequest, verbose: boolean) => {
    const result = service.testCompatibility(subject, version, body);
    return verbose ? { is_compatible: result.compatible, messages: result.messages } : { is_compatible: result.compatible };
  };
  app.post<{ Params: VersionParams; Body: SchemaRequest; Querystring: FlagQuery }>('/compatibility/subjects/:subject/versions/:version', async (request) =>
    compatibility(request.params.subject, request.params.version, request.body, isTrue(request.query.verbose)),
  );
  app.post<{ Params: SubjectParams; Body: SchemaRequest; Querystring: FlagQuery }>('/compatibility/subjects/:subject/versions', async (request) =>
    compatibility(request.params.subject, undefined, request.body, isTrue(request.query.verbose)),
  );

  app.get('/config', async () => ({ compatibilityLevel: service.globalLevel() }));
  app.put<{ Body: unknown }>('/config', async (request) => ({ compatibility: await service.setLevel(null, levelFrom(request.body)) }));
  app.get<{ Params: SubjectParams; Querystring: FlagQuery }>('/config/:subject', async (request) => ({
    compatibilityLevel: service.subjectLevel(request.params.subject, isTrue(request.query.defaultToGlobal)),
  }));
  app.put<{ Params: SubjectParams; Body: unknown }>('/config/:subject', async (request) => ({
    compatibility: await service.setLevel(request.params.subject, levelFrom(request.body)),
  }));
  app.delete<{ Params: SubjectParams }>('/config/:subject', async (request) => ({ compatibilityLevel: await service.deleteLevel(request.params.subject) }));

  return app;
}
