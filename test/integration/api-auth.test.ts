/**
 * Every way a request is refused before it becomes a command, each with its stable code and as
 * problem+json: signature headers, clock skew, unknown keys, tampering with each signed part,
 * replayed nonces, body size and type, validation, currency limits, rate limits.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { ApiHarness, paymentBody } from '../../api/testing/harness.ts';
import type { CreatedMerchant } from '../../api/merchants/store.ts';
import { signatureHeaders } from '../../api/signature.ts';
import { recordKeyOf } from '../../api/idempotency.ts';

const RATE_BURST = 30;
const h = new ApiHarness({ rateLimit: { burst: RATE_BURST, perSecond: 1 } });

before(() => h.start());
after(() => h.close());

function assertProblem(res: LightMyRequestResponse, status: number, code: string): void {
  assert.equal(res.statusCode, status, res.body);
  assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
  const problem = res.json<{ code: string; status: number; detail: string; requestId: string; type: string; title: string }>();
  assert.equal(problem.code, code);
  assert.equal(problem.status, status);
  assert.equal(typeof problem.detail, 'string');
  assert.equal(typeof problem.title, 'string');
  assert.equal(problem.type, `/problems/${code}`);
  assert.equal(problem.requestId, res.headers['x-request-id']);
}

const nowS = () => String(Math.floor(Date.now() / 1000));
const nonce = () => randomBytes(12).toString('hex');

/** Signs one request and sends another: `sent` overrides what goes over the wire. */
function tampered(m: CreatedMerchant, signed: { method: string; url: string; body: string; timestamp: string; nonce: string }, sent: Partial<typeof signed>) {
  const headers = signatureHeaders(m.keyId, m.secret.reveal(), { timestamp: signed.timestamp, nonce: signed.nonce, method: signed.method, pathWithQuery: signed.url, body: signed.body });
  const wire = { ...signed, ...sent };
  return h.app.inject({
    method: wire.method as 'GET' | 'POST',
    url: wire.url,
    payload: wire.body === '' ? undefined : wire.body,
    headers: { ...headers, 'x-paystream-timestamp': wire.timestamp, 'x-paystream-nonce': wire.nonce, 'content-type': 'application/json', 'idempotency-key': randomBytes(8).toString('hex') },
  });
}

describe('signature authentication', () => {
  test('a request without the signature headers is 401 auth_header_missing', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/v1/payments' });
    assertProblem(res, 401, 'auth_header_missing');
  });

  test('malformed signature headers are 401 auth_header_invalid', async () => {
    const m = await h.createMerchant();
    for (const change of [{ 'x-paystream-nonce': 'short' }, { 'x-paystream-nonce': 'x'.repeat(65) }, { 'x-paystream-timestamp': 'yesterday' }, { 'x-paystream-signature': 'sha256=abc' }, { 'x-paystream-key': 'bad key!' }]) {
      const base = signatureHeaders(m.keyId, m.secret.reveal(), { timestamp: nowS(), nonce: nonce(), method: 'GET', pathWithQuery: '/v1/payments', body: '' });
      const res = await h.app.inject({ method: 'GET', url: '/v1/payments', headers: { ...base, ...change } });
      assertProblem(res, 401, 'auth_header_invalid');
    }
  });

  test('a timestamp more than 300 s away is 401 timestamp_skew; 299 s is fine', async () => {
    const m = await h.createMerchant();
    const t = Math.floor(Date.now() / 1000);
    for (const ts of [t - 302, t + 302]) assertProblem(await h.request(m, { method: 'GET', url: '/v1/payments', timestamp: String(ts) }), 401, 'timestamp_skew');
    assert.equal((await h.request(m, { method: 'GET', url: '/v1/payments', timestamp: String(t - 299) })).statusCode, 200);
  });

  test('an unknown key and a wrong secret get the same 401 signature_invalid', async () => {
    const m = await h.createMerchant();
    const unknown = await h.request({ keyId: 'pk_doesnotexist', secret: m.secret }, { method: 'GET', url: '/v1/payments' });
    assertProblem(unknown, 401, 'signature_invalid');
    const wrong = await h.request({ keyId: m.keyId, secret: { reveal: () => 'sk_wrong' } as unknown as CreatedMerchant['secret'] }, { method: 'GET', url: '/v1/payments' });
    assertProblem(wrong, 401, 'signature_invalid');
    assert.equal(unknown.json<{ detail: string }>().detail, wrong.json<{ detail: string }>().detail);
  });

  test('tampering with any signed part is 401 signature_invalid and writes nothing', async () => {
    const m = await h.createMerchant();
    const body = JSON.stringify(paymentBody());
    const signed = { method: 'POST', url: '/v1/payments', body, timestamp: nowS(), nonce: nonce() };
    const before = await h.commandCount();
    const changes: Array<Partial<typeof signed>> = [
      { body: body.replace('1250', '1251') },
      { body: `${body} ` },
      { url: '/v1/payments?x=1' },
      { url: '/v1/payments/' },
      { method: 'GET', body: '' },
      { timestamp: String(Number(signed.timestamp) - 1) },
      { nonce: nonce() },
    ];
    for (const change of changes) {
      const res = await tampered(m, signed, change);
      assert.ok(res.statusCode === 401 || res.statusCode === 404, `${JSON.stringify(change)}: ${res.statusCode}`);
      if (res.statusCode === 401) assertProblem(res, 401, 'signature_invalid');
    }
    assert.equal(await h.commandCount(), before);
    const honest = await tampered(m, signed, {});
    assert.equal(honest.statusCode, 202, honest.body);
  });

  test('a replayed nonce is 401 nonce_reused, even with a fresh signature', async () => {
    const m = await h.createMerchant();
    const n = nonce();
    assert.equal((await h.request(m, { method: 'GET', url: '/v1/payments', nonce: n })).statusCode, 200);
    assertProblem(await h.request(m, { method: 'GET', url: '/v1/payments', nonce: n }), 401, 'nonce_reused');
    assertProblem(await h.request(m, { method: 'GET', url: '/v1/payments?limit=5', nonce: n }), 401, 'nonce_reused');
    const ttl = await h.redis.ttl((await h.redis.keys(`nonce:*:${n}`))[0] ?? 'missing');
    assert.ok(ttl > 590 && ttl <= 600, `nonce kept ${ttl} s`);
  });
});

describe('request shape', () => {
  test('a body over 64 KiB is 413 and a non-JSON content type is 415', async () => {
    const m = await h.createMerchant();
    const big = JSON.stringify(paymentBody({ description: 'x'.repeat(70 * 1024) }));
    assertProblem(await h.request(m, { method: 'POST', url: '/v1/payments', rawBody: big, headers: { 'idempotency-key': 'k-big' } }), 413, 'body_too_large');
    const form = await h.request(m, { method: 'POST', url: '/v1/payments', rawBody: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded', 'idempotency-key': 'k-form' } });
    assertProblem(form, 415, 'unsupported_media_type');
  });

  test('a body that is not JSON is 400 invalid_json, after the signature check', async () => {
    const m = await h.createMerchant();
    assertProblem(await h.request(m, { method: 'POST', url: '/v1/payments', rawBody: '{"merchantOrderId":', headers: { 'idempotency-key': 'k-json' } }), 400, 'invalid_json');
    const unsigned = await h.app.inject({ method: 'POST', url: '/v1/payments', payload: '{"x":', headers: { 'content-type': 'application/json' } });
    assertProblem(unsigned, 401, 'auth_header_missing');
  });

  test('unknown fields, bad types and bounds are 400 invalid_request naming the field', async () => {
    const m = await h.createMerchant();
    const cases: Array<Record<string, unknown>> = [
      paymentBody({ extra: true }),
      paymentBody({ customer: { id: 'c', ip: '1.2.3.4', deviceId: 'd', email: 'x@y' } }),
      paymentBody({ amountMinor: '1250' }),
      paymentBody({ amountMinor: 12.5 }),
      paymentBody({ amountMinor: 0 }),
      paymentBody({ amountMinor: 2 ** 53 }),
      paymentBody({ method: 'cash' }),
      paymentBody({ currency: 'eur' }),
      paymentBody({ customer: { id: 'c', ip: 'not-an-ip', deviceId: 'd' } }),
      paymentBody({ metadata: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v'])) }),
      paymentBody({ metadata: { k: 'v'.repeat(501) } }),
      paymentBody({ metadata: { k: 1 } }),
      paymentBody({ notifyUrl: 'javascript:alert(1)' }),
      { amountMinor: 1 },
    ];
    for (const [i, body] of cases.entries()) {
      const res = await h.request(m, { method: 'POST', url: '/v1/payments', body, headers: { 'idempotency-key': `k-shape-${i}` } });
      assertProblem(res, 400, 'invalid_request');
      assert.ok(Array.isArray(res.json<{ errors: unknown[] }>().errors));
    }
  });

  test('an unsupported currency and an amount above its limit are 422', async () => {
    const m = await h.createMerchant();
    assertProblem(await h.request(m, { method: 'POST', url: '/v1/payments', body: paymentBody({ currency: 'XYZ' }), headers: { 'idempotency-key': 'k-cur' } }), 422, 'currency_unsupported');
    assertProblem(await h.request(m, { method: 'POST', url: '/v1/payments', body: paymentBody({ currency: 'JPY', amountMinor: 150_000_001 }), headers: { 'idempotency-key': 'k-lim' } }), 422, 'amount_above_limit');
    assert.equal((await h.request(m, { method: 'POST', url: '/v1/payments', body: paymentBody({ currency: 'JPY', amountMinor: 150_000_000 }), headers: { 'idempotency-key': 'k-lim-ok' } })).statusCode, 202);
  });

  test('an unknown route is 404 not_found as problem+json', async () => {
    assertProblem(await h.app.inject({ method: 'GET', url: '/nope' }), 404, 'not_found');
  });
});

describe('rate limits', () => {
  test('a merchant over its token bucket gets 429 with Retry-After and RateLimit headers; others do not', async () => {
    const m = await h.createMerchant();
    const answers: LightMyRequestResponse[] = [];
    for (let i = 0; i < RATE_BURST + 5; i += 1) answers.push(await h.request(m, { method: 'GET', url: '/v1/payments?limit=1' }));
    const ok = answers.filter((r) => r.statusCode === 200);
    const limited = answers.filter((r) => r.statusCode === 429);
    assert.ok(ok.length >= RATE_BURST && ok.length <= RATE_BURST + 2, `${ok.length} passed`);
    assert.ok(limited.length >= 3);
    const first = limited[0];
    assert.ok(first !== undefined);
    assertProblem(first, 429, 'rate_limited');
    assert.ok(Number(first.headers['retry-after']) >= 1);
    assert.equal(first.headers['ratelimit-limit'], String(RATE_BURST));
    assert.equal(first.headers['ratelimit-remaining'], '0');
    assert.ok(ok[0]?.headers['ratelimit-remaining'] !== undefined);
    // A refused request takes no Idempotency-Key lock: the key is free once tokens are back.
    const post = await h.request(m, { method: 'POST', url: '/v1/payments', body: paymentBody(), headers: { 'idempotency-key': 'key-while-limited' } });
    assertProblem(post, 429, 'rate_limited');
    const merchantId = (await h.merchants.byKeyId(m.keyId))?.merchantId ?? '';
    assert.equal(await h.redis.exists(recordKeyOf(merchantId, 'POST /v1/payments', 'key-while-limited')), 0);
    const fresh = await h.createMerchant();
    assert.equal((await h.request(fresh, { method: 'GET', url: '/v1/payments' })).statusCode, 200);
  });
});

describe('documents and probes', () => {
  test('/openapi.json describes the routes from their schemas and /docs renders it', async () => {
    const doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json<{ openapi: string; paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { additionalProperties: boolean } }> } }>> }>();
    assert.equal(doc.openapi, '3.1.0');
    assert.deepEqual(Object.keys(doc.paths).sort(), ['/v1/channels/{channel}/notifications', '/v1/payments', '/v1/payments/{id}', '/v1/payments/{id}/cancel', '/v1/payments/{id}/refunds']);
    assert.equal(doc.paths['/v1/payments']?.post?.requestBody?.content['application/json']?.schema.additionalProperties, false);
    const docs = await h.app.inject({ method: 'GET', url: '/docs' });
    assert.equal(docs.statusCode, 200);
    assert.match(docs.headers['content-type'] as string, /text\/html/);
  });

  test('/healthz, /readyz and /metrics answer without a signature', async () => {
    assert.equal((await h.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
    const ready = await h.app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(ready.statusCode, 200, ready.body);
    const metrics = await h.app.inject({ method: 'GET', url: '/metrics' });
    assert.match(metrics.body, /paystream_api_auth_failures_total\{reason="signature_invalid"/);
    assert.match(metrics.body, /paystream_api_rejections_total/);
  });
});
