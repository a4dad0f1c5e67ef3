/**
 * A sandbox bank that pays merchants out: a real HTTP server with the payout protocol of
 * protocol.ts, idempotent by payout id (the same id never pays twice; a repeat returns the first
 * answer), a ground-truth journal of what it paid, and behaviour set at run time through
 *   PATCH /admin/behaviour  { failRate, timeoutRate, timeoutHoldMs, rejectMerchants }
 *   GET   /admin/journal
 * A 5xx pays nothing. A timeout pays, then holds the answer past the caller's deadline: the caller
 * cannot tell, and must ask (GET /v1/payouts/:id) before sending again.
 */
import { randomBytes } from 'node:crypto';
import Fastify from 'fastify';
import type { Secret } from '../../lib/secret.ts';
import { seededRandom } from '../../streams/runtime/testing/seeded-random.ts';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, verify, type PayoutAnswer, type PayoutRequest } from './protocol.ts';

export interface BankBehaviour {
  failRate: number;
  timeoutRate: number;
  timeoutHoldMs: number;
  /** Merchants whose account the bank refuses (422 invalid_account). */
  rejectMerchants: string[];
}

export interface PaidPayout {
  payoutId: string;
  merchantId: string;
  currency: string;
  amountMinor: bigint;
  reference: string;
  /** How many requests asked to pay it (the first paid; the rest were answered from the journal). */
  requests: number;
}

export interface SandboxBank {
  url: string;
  secret: Secret;
  journal: ReadonlyMap<string, PaidPayout>;
  /** Status queries answered (GET /v1/payouts/:id). */
  statusQueries(): number;
  setBehaviour(patch: Partial<BankBehaviour>): BankBehaviour;
  close(): Promise<void>;
}

export async function startSandboxBank(options: { secret: Secret; host?: string; port?: number; seed?: number; behaviour?: Partial<BankBehaviour> }): Promise<SandboxBank> {
  let behaviour: BankBehaviour = { failRate: 0, timeoutRate: 0, timeoutHoldMs: 2_000, rejectMerchants: [], ...options.behaviour };
  const random = seededRandom(options.seed ?? 1);
  const journal = new Map<string, PaidPayout>();
  let statusQueries = 0;
  const app = Fastify({ logger: false, forceCloseConnections: true });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  const answer = (status: number, body: unknown) => {
    const text = JSON.stringify(body);
    const ts = String(Date.now());
    return { status, text, headers: { 'content-type': 'application/json', [TIMESTAMP_HEADER]: ts, [SIGNATURE_HEADER]: sign(options.secret, ts, text) } };
  };
  const paidAnswer = (p: PaidPayout): PayoutAnswer => ({ payoutId: p.payoutId, status: 'paid', reference: p.reference });

  app.post('/v1/payouts', async (req, reply) => {
    const body = typeof req.body === 'string' ? req.body : '';
    const header = (name: string): string | undefined => (typeof req.headers[name] === 'string' ? (req.headers[name] as string) : undefined);
    let out = answer(401, { error: 'signature_invalid', message: 'bad or missing signature' });
    if (verify(options.secret, header(TIMESTAMP_HEADER), header(SIGNATURE_HEADER), body, Date.now())) out = await pay(body);
    return reply.code(out.status).headers(out.headers).send(out.text);
  });

  async function pay(body: string): Promise<ReturnType<typeof answer>> {
    let request: PayoutRequest;
    try {
      request = JSON.parse(body) as PayoutRequest;
    } catch (err) {
      return answer(422, { error: 'invalid_request', message: `not JSON: ${err instanceof Error ? err.message : String(err)}` });
    }
    if (typeof request.payoutId !== 'string' || typeof request.merchantId !== 'string' || typeof request.currency !== 'string' || typeof request.amountMinor !== 'string' || !/^[1-9]\d{0,18}$/.test(request.amountMinor)) {
      return answer(422, { error: 'invalid_request', message: 'payoutId, merchantId, currency and a positive amountMinor string are required' });
    }
    const known = journal.get(request.payoutId);
    if (known !== undefined) {
      known.requests += 1;
      return answer(200, paidAnswer(known));
    }
    if (random() < behaviour.failRate) return answer(503, { error: 'unavailable', message: 'bank unavailable, nothing paid' });
    if (behaviour.rejectMerchants.includes(request.merchantId)) return answer(422, { error: 'invalid_account', message: `the account of ${request.merchantId} is closed` });
    const paid: PaidPayout = { payoutId: request.payoutId, merchantId: request.merchantId, currency: request.currency, amountMinor: BigInt(request.amountMinor), reference: `bank_${randomBytes(8).toString('hex')}`, requests: 1 };
    journal.set(paid.payoutId, paid);
    if (random() < behaviour.timeoutRate) await new Promise((resolve) => setTimeout(resolve, behaviour.timeoutHoldMs));
    return answer(200, paidAnswer(paid));
  }

  app.get<{ Params: { id: string } }>('/v1/payouts/:id', async (req, reply) => {
    const header = (name: string): string | undefined => (typeof req.headers[name] === 'string' ? (req.headers[name] as string) : undefined);
    let out = answer(401, { error: 'signature_invalid', message: 'bad or missing signature' });
    if (verify(options.secret, header(TIMESTAMP_HEADER), header(SIGNATURE_HEADER), req.url, Date.now())) {
      statusQueries += 1;
      const known = journal.get(req.params.id);
      out = known === undefined ? answer(404, { error: 'not_found', message: `no payout ${req.params.id}` }) : answer(200, paidAnswer(known));
    }
    return reply.code(out.status).headers(out.headers).send(out.text);
  });

  app.patch('/admin/behaviour', async (req, reply) => {
    const patch = JSON.parse(typeof req.body === 'string' ? req.body : '{}') as Partial<BankBehaviour>;
    behaviour = { ...behaviour, ...patch };
    return reply.send(behaviour);
  });
  app.get('/admin/journal', async (_req, reply) => reply.header('content-type', 'application/json').send(JSON.stringify([...journal.values()].map((p) => ({ ...p, amountMinor: p.amountMinor.toString() })))));

  await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    secret: options.secret,
    journal,
    statusQueries: () => statusQueries,
    setBehaviour(patch) {
      behaviour = { ...behaviour, ...patch };
      return behaviour;
    },
    close: () => app.close(),
  };
}
