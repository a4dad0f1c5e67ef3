/**
 * A seeded, bounded fuzz of POST /v1/payments: random JSON values, mutations of a valid body and
 * raw byte noise, all correctly signed. Every answer must be 202, a 4xx problem document or 503;
 * never a 500. Failures name the seed and the case, so a run repeats exactly.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiHarness, paymentBody } from '../../api/testing/harness.ts';
import type { CreatedMerchant } from '../../api/merchants/store.ts';

const SEED = 0x5eed_2026;
const CASES = 400;
const h = new ApiHarness({ rateLimit: { burst: 10_000, perSecond: 10_000 } });
let m: CreatedMerchant;

before(async () => {
  await h.start();
  m = await h.createMerchant();
});
after(() => h.close());

/** mulberry32: small, fast, good enough to pick fuzz cases reproducibly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fuzzer(rand: () => number) {
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  const strings = ['', 'a', 'EUR', 'USD', 'card', 'wallet_b', '__proto__', 'constructor', '\u0000', '😀'.repeat(20), 'x'.repeat(int(2000)), '1.2.3.4', '::1', 'https://x.example/cb', ' ', 'null'];
  const numbers = [0, -1, 1, 1250, 12.5, 2 ** 53, 2 ** 53 - 1, -(2 ** 63), 1e308, Number.MIN_VALUE, 150_000_001, 99_999_999];
  const value = (depth: number): unknown => {
    switch (depth > 3 ? int(4) : int(7)) {
      case 0:
        return pick(strings);
      case 1:
        return pick(numbers);
      case 2:
        return pick([true, false, null]);
      case 3:
        return String.fromCharCode(...Array.from({ length: int(30) }, () => int(0x3000)));
      case 4:
        return Array.from({ length: int(5) }, () => value(depth + 1));
      default:
        return Object.fromEntries(Array.from({ length: int(6) }, () => [pick([...strings, 'merchantOrderId', 'amountMinor', 'currency', 'method', 'customer', 'metadata', 'ip', 'id', 'deviceId']), value(depth + 1)]));
    }
  };
  const mutate = (): unknown => {
    const body: Record<string, unknown> = paymentBody();
    const fields = Object.keys(body);
    for (let i = 0, n = 1 + int(3); i < n; i += 1) {
      const field = pick([...fields, 'notifyUrl', 'description', 'unknown']);
      if (rand() < 0.3) delete body[field];
      else body[field] = value(1);
    }
    if (rand() < 0.3) body.customer = { id: value(3), ip: pick(['203.0.113.1', '2001:db8::1', 'x', '999.1.1.1']), deviceId: value(3) };
    return body;
  };
  return {
    next(): string {
      const kind = int(10);
      if (kind < 5) return JSON.stringify(mutate());
      if (kind < 8) return JSON.stringify(value(0)) ?? 'null';
      if (kind < 9) return '['.repeat(int(5000)) + ']'.repeat(int(5000));
      return Buffer.from(Array.from({ length: int(200) }, () => int(256))).toString('latin1');
    },
  };
}

test(`random JSON at POST /v1/payments gets only 202, 4xx problem+json or 503 (seed ${SEED})`, { timeout: 55_000 }, async () => {
  const rand = prng(SEED);
  const f = fuzzer(rand);
  const seen = new Map<number, number>();
  for (let i = 0; i < CASES; i += 1) {
    const raw = f.next();
    const res = await h.request(m, { method: 'POST', url: '/v1/payments', rawBody: raw, headers: { 'content-type': 'application/json', 'idempotency-key': `fuzz-${i}` } });
    seen.set(res.statusCode, (seen.get(res.statusCode) ?? 0) + 1);
    const where = `case ${i} (seed ${SEED}): ${raw.slice(0, 200)} → ${res.statusCode} ${res.body.slice(0, 300)}`;
    assert.ok(res.statusCode === 202 || res.statusCode === 503 || (res.statusCode >= 400 && res.statusCode < 500), where);
    if (res.statusCode !== 202) {
      assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8', where);
      assert.equal(typeof res.json<{ code: unknown }>().code, 'string', where);
    }
  }
  // The generator reaches both sides of the API: some bodies are accepted, most refused.
  assert.ok((seen.get(202) ?? 0) > 0 && (seen.get(400) ?? 0) > 0, JSON.stringify([...seen]));
});
