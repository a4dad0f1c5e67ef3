/**
 * The ingress API on real PostgreSQL, Redis, Kafka broker and schema registry: payment creation
 * through to a decoded command on payments.commands, idempotency, reads scoped per merchant,
 * cancel and refunds.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiHarness, paymentBody } from '../../api/testing/harness.ts';
import type { CreatedMerchant } from '../../api/merchants/store.ts';
import { readAll } from '../../streams/runtime/testing/read-all.ts';
import { COMMANDS_TOPIC } from '../../api/commands.ts';
import { IdempotencyStore, keyDigest, newLock } from '../../api/idempotency.ts';
import { bodyDigest } from '../../api/signature.ts';

const h = new ApiHarness();
let merchant: CreatedMerchant;
let other: CreatedMerchant;

before(async () => {
  await h.start();
  merchant = await h.createMerchant('Shop A');
  other = await h.createMerchant('Shop B');
});
after(() => h.close());

function create(body: Record<string, unknown>, key: string, who: CreatedMerchant = merchant) {
  return h.request(who, { method: 'POST', url: '/v1/payments', body, headers: { 'idempotency-key': key } });
}

describe('POST /v1/payments', () => {
  test('a valid payment is answered 202 only once its Avro command is in payments.commands', async () => {
    const before = await h.commandCount();
    const body = paymentBody({ amountMinor: 4200, currency: 'USD', method: 'wallet_a', description: 'two books', notifyUrl: 'https://shop.example/notify', metadata: { cart: '42', 'paystream.note': 'a merchant key like any other' } });
    const res = await create(body, 'key-create-1');
    assert.equal(res.statusCode, 202, res.body);
    const { paymentId, status } = res.json<{ paymentId: string; status: string }>();
    assert.match(paymentId, /^pay_/);
    assert.equal(status, 'accepted');
    assert.equal(await h.commandCount(), before + 1);
    const records = await readAll(h.kafka, COMMANDS_TOPIC);
    const mine = records.find((r) => r.key === paymentId);
    assert.ok(mine !== undefined);
    const raw = await readRawValue(paymentId);
    const command = await h.codec.decode('PaymentCommand', raw);
    assert.equal(command.paymentId, paymentId);
    const create_ = 'paystream.CreatePayment' in command.body ? command.body['paystream.CreatePayment'] : undefined;
    assert.ok(create_ !== undefined);
    assert.equal(create_.amountMinor, 4200n);
    assert.equal(create_.currency, 'USD');
    assert.equal(create_.method, 'WALLET_A');
    assert.equal(create_.merchantReference, body.merchantOrderId);
    assert.deepEqual({ ...create_.customer }, { id: 'cust-1', ip: '203.0.113.7', deviceId: 'device-abc' });
    assert.equal(create_.notifyUrl, 'https://shop.example/notify');
    assert.equal(create_.description, 'two books');
    assert.deepEqual(create_.metadata, { cart: '42', 'paystream.note': 'a merchant key like any other' });
  });

  test('each request method reaches the command as its own symbol, and no notifyUrl is null', async () => {
    const expected = { card: 'CARD', wallet_a: 'WALLET_A', wallet_b: 'WALLET_B', bank: 'BANK' } as const;
    for (const [method, symbol] of Object.entries(expected)) {
      const res = await create(paymentBody({ method }), `key-method-${method}`);
      assert.equal(res.statusCode, 202, res.body);
      const command = await h.codec.decode('PaymentCommand', await readRawValue(res.json<{ paymentId: string }>().paymentId));
      const create_ = 'paystream.CreatePayment' in command.body ? command.body['paystream.CreatePayment'] : undefined;
      assert.ok(create_ !== undefined);
      assert.equal(create_.method, symbol);
      assert.equal(create_.notifyUrl, null);
    }
  });

  test('a GET right after the 202 finds the payment', async () => {
    const res = await create(paymentBody(), 'key-get-after');
    const { paymentId } = res.json<{ paymentId: string }>();
    const got = await h.request(merchant, { method: 'GET', url: `/v1/payments/${paymentId}` });
    assert.equal(got.statusCode, 200, got.body);
    assert.equal(got.json<{ status: string }>().status, 'accepted');
    assert.equal(got.json<{ amountMinor: number }>().amountMinor, 1250);
  });

  test('the same key and body replays the first response with Idempotent-Replayed', async () => {
    const body = paymentBody();
    const first = await create(body, 'key-replay');
    const count = await h.commandCount();
    const second = await create(body, 'key-replay');
    assert.equal(second.statusCode, 202);
    assert.equal(second.headers['idempotent-replayed'], 'true');
    assert.deepEqual(second.json(), first.json());
    assert.equal(await h.commandCount(), count);
  });

  test('the same key with another body is 422 idempotency_key_reuse', async () => {
    await create(paymentBody(), 'key-reuse');
    const res = await create(paymentBody({ amountMinor: 999 }), 'key-reuse');
    assert.equal(res.statusCode, 422);
    assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.equal(res.json<{ code: string }>().code, 'idempotency_key_reuse');
  });

  test('100 concurrent requests with one key write exactly one command', async () => {
    const body = paymentBody();
    const before = await h.commandCount();
    const answers = await Promise.all(Array.from({ length: 100 }, () => create(body, 'key-concurrent')));
    const statuses = answers.map((r) => r.statusCode);
    assert.ok(statuses.every((s) => s === 202 || s === 409), JSON.stringify(statuses));
    const fresh = answers.filter((r) => r.statusCode === 202 && r.headers['idempotent-replayed'] === undefined);
    assert.equal(fresh.length, 1);
    for (const r of answers.filter((a) => a.statusCode === 409)) assert.equal(r.json<{ code: string }>().code, 'idempotency_key_in_use');
    assert.equal(await h.commandCount(), before + 1);
    const replay = await create(body, 'key-concurrent');
    assert.equal(replay.headers['idempotent-replayed'], 'true');
  });

  test('the same key while the first request is in flight is 409 idempotency_key_in_use; records live 24 h', async () => {
    const body = paymentBody();
    const raw = JSON.stringify(body);
    const merchantId = (await h.merchants.byKeyId(merchant.keyId))?.merchantId ?? '';
    // Hold the key exactly as a request that is still producing would.
    const store = new IdempotencyStore(h.redis);
    const held = newLock(merchantId, 'POST /v1/payments', 'key-in-flight', `POST /v1/payments\n${bodyDigest(raw)}`);
    assert.equal(await h.redis.set(held.recordKey, held.value, 'PX', 30_000, 'NX'), 'OK');
    const res = await h.request(merchant, { method: 'POST', url: '/v1/payments', rawBody: raw, headers: { 'idempotency-key': 'key-in-flight' } });
    assert.equal(res.statusCode, 409);
    assert.equal(res.json<{ code: string }>().code, 'idempotency_key_in_use');
    assert.ok(Number(res.headers['retry-after']) >= 1);
    const other = await create(paymentBody(), 'key-in-flight');
    assert.equal(other.json<{ code: string }>().code, 'idempotency_key_reuse');
    await store.release(held);
    assert.equal((await h.request(merchant, { method: 'POST', url: '/v1/payments', rawBody: raw, headers: { 'idempotency-key': 'key-in-flight' } })).statusCode, 202);
    const ttl = await h.redis.ttl(`idem:${merchantId}:POST /v1/payments:${keyDigest('key-in-flight')}`);
    assert.ok(ttl > 24 * 3600 - 60 && ttl <= 24 * 3600, `kept ${ttl} s`);
  });

  test('a second payment with an existing merchantOrderId is 409 naming the existing payment', async () => {
    const body = paymentBody();
    const first = await create(body, 'key-dup-1');
    const res = await create({ ...body, amountMinor: 77 }, 'key-dup-2');
    assert.equal(res.statusCode, 409);
    const problem = res.json<{ code: string; paymentId: string; requestId: string }>();
    assert.equal(problem.code, 'duplicate_merchant_order');
    assert.equal(problem.paymentId, first.json<{ paymentId: string }>().paymentId);
    assert.match(problem.requestId, /^req_/);
  });

  test('a request refused after admission (schema, business rule) leaves its key free: the corrected request is accepted', async () => {
    const invalid = await create({ ...paymentBody(), amountMinor: -5 }, 'key-fixed-later');
    assert.equal(invalid.statusCode, 400);
    const unsupported = await create({ ...paymentBody(), currency: 'XAU' }, 'key-fixed-later');
    assert.equal(unsupported.statusCode, 422);
    assert.equal(unsupported.json<{ code: string }>().code, 'currency_unsupported');
    const notJson = await h.request(merchant, { method: 'POST', url: '/v1/payments', rawBody: '{"amountMinor":', headers: { 'idempotency-key': 'key-fixed-later' } });
    assert.equal(notJson.json<{ code: string }>().code, 'invalid_json');
    const fixed = await create(paymentBody(), 'key-fixed-later');
    assert.equal(fixed.statusCode, 202);
    assert.equal(fixed.headers['idempotent-replayed'], undefined);
  });

  test('many requests admitted together each get their own answer: new keys, a replay, a reuse and a replayed nonce', async () => {
    const body = paymentBody();
    assert.equal((await create(body, 'key-batch-done')).statusCode, 202);
    const before = await h.commandCount();
    const fresh = Array.from({ length: 30 }, (_, i) => create(paymentBody(), `key-batch-${i}`));
    const replayed = create(body, 'key-batch-done');
    const reused = create(paymentBody(), 'key-batch-done');
    const nonce = 'n'.repeat(20) + Date.now();
    const first = h.request(merchant, { method: 'POST', url: '/v1/payments', body: paymentBody(), nonce, headers: { 'idempotency-key': 'key-batch-nonce-1' } });
    const again = h.request(merchant, { method: 'POST', url: '/v1/payments', body: paymentBody(), nonce, headers: { 'idempotency-key': 'key-batch-nonce-2' } });
    const answers = await Promise.all(fresh);
    assert.deepEqual(new Set(answers.map((r) => r.statusCode)), new Set([202]));
    assert.equal(new Set(answers.map((r) => r.json<{ paymentId: string }>().paymentId)).size, 30);
    assert.equal((await replayed).headers['idempotent-replayed'], 'true');
    assert.equal((await reused).json<{ code: string }>().code, 'idempotency_key_reuse');
    const nonceAnswers = [await first, await again].map((r) => r.statusCode).sort();
    assert.deepEqual(nonceAnswers, [202, 401]);
    assert.equal(await h.commandCount(), before + 31);
  });

  test('an Idempotency-Key is required and must be printable', async () => {
    const missing = await h.request(merchant, { method: 'POST', url: '/v1/payments', body: paymentBody() });
    assert.equal(missing.json<{ code: string }>().code, 'idempotency_key_missing');
    const long = await create(paymentBody(), 'k'.repeat(256));
    assert.equal(long.json<{ code: string }>().code, 'idempotency_key_invalid');
    const control = await create(paymentBody(), 'tab\there');
    assert.equal(control.json<{ code: string }>().code, 'idempotency_key_invalid');
  });
});

describe('reads', () => {
  test('another merchant’s payment is 404, like one that does not exist', async () => {
    const { paymentId } = (await create(paymentBody(), 'key-cross')).json<{ paymentId: string }>();
    const res = await h.request(other, { method: 'GET', url: `/v1/payments/${paymentId}` });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json<{ code: string }>().code, 'payment_not_found');
    const missing = await h.request(merchant, { method: 'GET', url: '/v1/payments/pay_nothing' });
    assert.equal(missing.json<{ code: string }>().code, 'payment_not_found');
    const list = await h.request(other, { method: 'GET', url: '/v1/payments' });
    assert.ok(list.json<{ items: { paymentId: string }[] }>().items.every((p) => p.paymentId !== paymentId));
  });

  test('the list pages newest first with a cursor and filters by merchantOrderId', async () => {
    const shop = await h.createMerchant('Shop C');
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) ids.push((await create(paymentBody({ merchantOrderId: `c-${i}` }), `key-list-${i}`, shop)).json<{ paymentId: string }>().paymentId);
    const seen: string[] = [];
    let url = '/v1/payments?limit=2';
    for (let page = 0; page < 5; page += 1) {
      const res = await h.request(shop, { method: 'GET', url });
      assert.equal(res.statusCode, 200, res.body);
      const { items, nextCursor } = res.json<{ items: { paymentId: string }[]; nextCursor: string | null }>();
      seen.push(...items.map((p) => p.paymentId));
      if (nextCursor === null) break;
      url = `/v1/payments?limit=2&cursor=${nextCursor}`;
    }
    assert.deepEqual([...seen].sort(), [...ids].sort());
    const one = await h.request(shop, { method: 'GET', url: '/v1/payments?merchantOrderId=c-3' });
    assert.deepEqual(one.json<{ items: { paymentId: string }[] }>().items.map((p) => p.paymentId), [ids[3]]);
    const bad = await h.request(shop, { method: 'GET', url: '/v1/payments?limit=1000' });
    assert.equal(bad.json<{ code: string }>().code, 'invalid_request');
    const badCursor = await h.request(shop, { method: 'GET', url: '/v1/payments?cursor=xyz' });
    assert.equal(badCursor.json<{ code: string }>().code, 'invalid_request');
  });
});

describe('cancel and refunds', () => {
  test('a cancel becomes a command; another merchant cannot cancel', async () => {
    const { paymentId } = (await create(paymentBody(), 'key-cancel')).json<{ paymentId: string }>();
    const before = await h.commandCount();
    const res = await h.request(merchant, { method: 'POST', url: `/v1/payments/${paymentId}/cancel`, body: { reason: 'customer changed mind' } });
    assert.equal(res.statusCode, 202, res.body);
    assert.equal(await h.commandCount(), before + 1);
    const foreign = await h.request(other, { method: 'POST', url: `/v1/payments/${paymentId}/cancel`, body: {} });
    assert.equal(foreign.statusCode, 404);
    const bodyless = await h.request(merchant, { method: 'POST', url: `/v1/payments/${paymentId}/cancel` });
    assert.equal(bodyless.statusCode, 202, bodyless.body);
  });

  test('refunds are commands, only for a captured payment, and never add up to more than what was captured', async () => {
    const { paymentId } = (await create(paymentBody({ amountMinor: 1000 }), 'key-refund')).json<{ paymentId: string }>();
    const refund = (amountMinor: number, key: string) => h.request(merchant, { method: 'POST', url: `/v1/payments/${paymentId}/refunds`, body: { amountMinor }, headers: { 'idempotency-key': key } });
    const early = await refund(100, 'r0');
    assert.equal(early.statusCode, 409, early.body);
    assert.equal(early.json<{ code: string }>().code, 'payment_not_captured');
    // The result processor's read model says the payment succeeded (streams/result writes this row).
    await capturedInReadModel(paymentId, 1000);
    const shown = await h.request(merchant, { method: 'GET', url: `/v1/payments/${paymentId}` });
    assert.equal(shown.json<{ status: string; capturedMinor: number }>().status, 'succeeded');
    assert.equal(shown.json<{ capturedMinor: number }>().capturedMinor, 1000);
    const before = await h.commandCount();
    assert.equal((await refund(600, 'r1')).statusCode, 202);
    const replayed = await refund(600, 'r1');
    assert.equal(replayed.headers['idempotent-replayed'], 'true');
    const tooMuch = await refund(401, 'r2');
    assert.equal(tooMuch.statusCode, 422);
    assert.equal(tooMuch.json<{ code: string }>().code, 'refund_exceeds_captured');
    assert.equal((await refund(400, 'r3')).statusCode, 202);
    assert.equal(await h.commandCount(), before + 2);
  });
});

async function capturedInReadModel(paymentId: string, capturedMinor: number): Promise<void> {
  await h.pool.query(
    `INSERT INTO payments (payment_id, merchant_id, merchant_reference, amount_minor, currency, method, status, version, captured_minor, created_at, updated_at, state)
     SELECT payment_id, merchant_id, merchant_order_id, amount_minor, currency, method, 'SUCCEEDED', 4, $2, created_at, now(), '{}'::jsonb FROM accepted_payments WHERE payment_id = $1`,
    [paymentId, capturedMinor],
  );
}

async function readRawValue(paymentId: string): Promise<Buffer> {
  const consumer = h.kafka.consumer({ groupId: `raw-${paymentId}`, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic: COMMANDS_TOPIC, fromBeginning: true });
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('command not found')), 15_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          if (message.key?.toString() === paymentId && message.value !== null) {
            clearTimeout(timer);
            resolve(message.value);
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
}
