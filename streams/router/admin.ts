/**
 * The router's admin HTTP API for routing rules, served by each router instance on
 * ROUTER_ADMIN_PORT. Reads answer from the rule set the instance routes with; writes are
 * validated here and go to the rule topic, from which every instance (this one included)
 * reloads them. Errors: 400 rule_invalid with `issues`, 409 rule_version_conflict, 404.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Kafka } from '../../lib/kafka.ts';
import type { Logger } from '../../lib/logger.ts';
import type { AvroCodec } from '../../schemas/codec.ts';
import { RouterError } from './errors.ts';
import { ruleFromJson, ruleToJson, versionFor } from './json.ts';
import { ADMIN_BODY_BYTES_MAX } from './limits.ts';
import { assertValidRule, ruleIssues, type RuleSet } from './rules.ts';
import { deleteRule, writeRules } from './store.ts';

export interface AdminOptions {
  host: string;
  port: number;
  kafka: Kafka;
  codec: AvroCodec;
  rulesTopic: string;
  rules(): RuleSet;
  logger: Logger;
  clock?: { nowMs(): number };
}

export interface RouterAdmin {
  url: string;
  close(): Promise<void>;
}

function statusOf(err: RouterError): number {
  switch (err.code) {
    case 'rule_invalid':
      return 400;
    case 'rule_version_conflict':
      return 409;
    case 'rule_not_found':
      return 404;
    case 'config_catch_up_timeout':
      return 503;
    default: {
      const never: never = err.code;
      return never;
    }
  }
}

export function buildAdmin(options: AdminOptions): FastifyInstance {
  const clock = options.clock ?? { nowMs: () => Date.now() };
  const app = Fastify({ bodyLimit: ADMIN_BODY_BYTES_MAX, logger: false });
  app.setErrorHandler((err, _req, reply) => {
    if (err instanceof RouterError) return reply.code(statusOf(err)).send({ code: err.code, message: err.message, issues: err.issues });
    const status = typeof (err as { statusCode?: unknown }).statusCode === 'number' ? (err as { statusCode: number }).statusCode : 500;
    if (status >= 500) options.logger.error({ err }, 'router admin request failed');
    return reply.code(status).send({ code: (err as { code?: string }).code ?? 'internal_error', message: status >= 500 ? 'internal error' : (err as Error).message });
  });
  const parse = (body: unknown, ruleId?: string) => {
    const rule = ruleFromJson(ruleId === undefined ? body : { ...(body as object), ruleId }, { updatedBy: 'admin-api', nowMs: clock.nowMs() });
    return rule;
  };

  app.get('/rules', () => ({ rules: options.rules().rules.map(ruleToJson) }));
  app.get<{ Params: { ruleId: string } }>('/rules/:ruleId', (req) => {
    const rule = options.rules().get(req.params.ruleId);
    if (rule === undefined) throw new RouterError('rule_not_found', `no rule ${req.params.ruleId}`);
    return ruleToJson(rule);
  });
  app.post('/rules/validate', (req) => {
    const rule = parse(req.body);
    const issues = ruleIssues({ ...rule, version: Math.max(rule.version, 1) });
    return { valid: issues.length === 0, issues };
  });
  app.put<{ Params: { ruleId: string } }>('/rules/:ruleId', async (req, reply) => {
    const rule = versionFor(parse(req.body, req.params.ruleId), options.rules().get(req.params.ruleId));
    assertValidRule(rule);
    await writeRules(options.kafka, options.codec, options.rulesTopic, [rule]);
    return reply.code(202).send({ ruleId: rule.ruleId, version: rule.version, ruleLabel: `${rule.ruleId}@${rule.version}` });
  });
  app.delete<{ Params: { ruleId: string } }>('/rules/:ruleId', async (req, reply) => {
    if (options.rules().get(req.params.ruleId) === undefined) throw new RouterError('rule_not_found', `no rule ${req.params.ruleId}`);
    await deleteRule(options.kafka, options.rulesTopic, req.params.ruleId);
    return reply.code(202).send({ ruleId: req.params.ruleId, deleted: true });
  });
  return app;
}

export async function startAdmin(options: AdminOptions): Promise<RouterAdmin> {
  const app = buildAdmin(options);
  const address = await app.listen({ host: options.host, port: options.port });
  return { url: address, close: () => app.close() };
}
