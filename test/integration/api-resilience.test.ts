/**
 * The API when its dependencies fail: Redis stopped mid-test (503 and nothing written), Kafka
 * stopped (503, the accepted row rolled back), both back (the same app recovers without a
 * restart, and a retry with the same Idempotency-Key is accepted once), PostgreSQL stopped (503,
 * nothing in Kafka).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { ApiHarness, paymentBody } from '../../api/testing/harness.ts';
import type { CreatedMerchant } from '../../api/merchants/store.ts';
import { waitFor } from '../helpers/wait.ts';
import { COMMANDS_TOPIC, KafkaCommandSink, traceparentFor } from '../../api/commands.ts';
import { readAll } from '../../streams/runtime/testing/read-all.ts';
import { PRODUCE_IN_FLIGHT_MAX } from '../../api/limits.ts';
import type { PaymentCommand } from '../../schemas/types.ts';

const h = new ApiHarness({ produceTimeoutMs: 1_500 });
let m: CreatedMerchant;

before(async () => {
  await h.start();
  m = await h.createMerchant();
});
after(() => h.close());

const create = (body: Record<string, unknown>, key: string) => h.request(m, { method: 'POST', url: '/v1/payments', body, headers: { 'idempotency-key': key } });

async function acceptedRows(): Promise<number> {
  const { rows } = await h.pool.query<{ n: string }>('SELECT count(*)::text AS n FROM accepted_payments');
  return Number(rows[0]?.n);
}

function assertUnavailable(res: LightMyRequestResponse, dependency: string): void {
  assert.equal(res.statusCode, 503, res.body);
  assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
  assert.ok(Number(res.headers['retry-after']) >= 1);
  const problem = res.json<{ code: string; dependency: string }>();
  assert.equal(problem.code, 'service_unavailable');
  assert.equal(problem.dependency, dependency);
}

/** Retries (each with a new nonce) until the API accepts again. */
function until202(body: Record<string, unknown>, key: string): Promise<LightMyRequestResponse> {
  return waitFor(
    async () => {
      const res = await create(body, key);
      return res.statusCode === 202 ? res : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 100, message: 'the API to accept payments again' },
  );
}

test('Redis stopped mid-test: 503 with Retry-After and nothing written; back: accepted again', { timeout: 50_000 }, async () => {
  assert.equal((await create(paymentBody(), 'before-redis')).statusCode, 202);
  const commands = await h.commandCount();
  const rows = await acceptedRows();
  await h.stopRedis();
  assertUnavailable(await create(paymentBody(), 'during-redis'), 'redis');
  assertUnavailable(await h.request(m, { method: 'GET', url: '/v1/payments' }), 'redis');
  assert.equal(await h.commandCount(), commands);
  assert.equal(await acceptedRows(), rows);
  const ready = await h.app.inject({ method: 'GET', url: '/readyz' });
  assert.equal(ready.statusCode, 503);
  assert.ok('redis' in ready.json<{ failed: Record<string, string> }>().failed);

  await h.startRedis();
  await until202(paymentBody(), 'after-redis');
  assert.equal(await h.commandCount(), commands + 1);
});

test('Kafka stopped: 503, the accepted row is rolled back; back: the same key is accepted once', { timeout: 50_000 }, async () => {
  const commands = await h.commandCount();
  const rows = await acceptedRows();
  await h.stopKafka();
  const body = paymentBody();
  assertUnavailable(await create(body, 'during-kafka'), 'kafka');
  assert.equal(await acceptedRows(), rows);
  // The failed attempt released its idempotency lock: a retry is processed, not refused as in flight.
  assertUnavailable(await create(body, 'during-kafka'), 'kafka');

  await h.startKafka();
  const accepted = await until202(body, 'during-kafka');
  assert.equal(accepted.headers['idempotent-replayed'], undefined);
  assert.equal(await h.commandCount(), commands + 1);
  assert.equal(await acceptedRows(), rows + 1);
});

test('Kafka stopped: commands queued behind full produce slots fail by their deadline, unsent', { timeout: 50_000 }, async () => {
  const timeoutMs = 800;
  const sink = new KafkaCommandSink(h.kafka, h.codec, timeoutMs);
  const command = (i: number): PaymentCommand => ({ commandId: `cmd_deadline_${i}`, paymentId: `pay_deadline_${i}`, merchantId: 'm_deadline', issuedAtMs: Date.now(), body: { 'paystream.CancelPayment': { reason: 'test' } } });
  try {
    await sink.send(command(0), traceparentFor(undefined));
    const commands = await h.commandCount();
    await h.stopKafka();
    // One command per turn of the event loop: the first batches take every produce slot, the rest queue.
    const started = Date.now();
    const outcomes: Array<Promise<number>> = [];
    for (let i = 1; i <= PRODUCE_IN_FLIGHT_MAX + 4; i += 1) {
      outcomes.push(sink.send(command(i), traceparentFor(undefined)).then(() => -1, () => Date.now() - started));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const failedAfterMs = await Promise.all(outcomes);
    assert.ok(failedAfterMs.every((ms) => ms >= 0 && ms < timeoutMs + 1_000), JSON.stringify(failedAfterMs));
    await h.startKafka();
    await until202(paymentBody(), 'after-deadlines');
    // Commands already sent when Kafka went away may still land (kafkajs retries them; consumers
    // drop the repeat by commandId); the queued ones were never sent.
    const landed = new Set((await readAll(h.kafka, COMMANDS_TOPIC)).map((r) => r.key));
    for (let i = PRODUCE_IN_FLIGHT_MAX + 1; i <= PRODUCE_IN_FLIGHT_MAX + 4; i += 1) assert.ok(!landed.has(`pay_deadline_${i}`), `queued command ${i} reached Kafka`);
    assert.ok(landed.has('pay_deadline_0'));
    assert.ok((await h.commandCount()) <= commands + 1 + PRODUCE_IN_FLIGHT_MAX);
  } finally {
    await sink.close();
  }
});

test('both stopped: 503; both back: the same app recovers without a restart', { timeout: 50_000 }, async () => {
  const commands = await h.commandCount();
  const rows = await acceptedRows();
  await h.stopKafka();
  await h.stopRedis();
  assertUnavailable(await create(paymentBody(), 'during-both'), 'redis');
  assert.equal(await acceptedRows(), rows);
  await h.startRedis();
  await h.startKafka();
  await until202(paymentBody(), 'after-both');
  await waitFor(async () => ((await h.app.inject({ method: 'GET', url: '/readyz' })).statusCode === 200 ? true : undefined), { timeoutMs: 10_000, message: '/readyz to pass again' });
  assert.equal(await h.commandCount(), commands + 1);
});

test('PostgreSQL stopped: 503 naming it, nothing in Kafka, and the key is free for a retry', { timeout: 50_000 }, async () => {
  // Warm the merchant cache, so the request reaches the insert rather than failing at the key lookup.
  assert.equal((await h.request(m, { method: 'GET', url: '/v1/payments' })).statusCode, 200);
  const commands = await h.commandCount();
  await h.stopPostgres();
  const body = paymentBody();
  assertUnavailable(await create(body, 'during-postgres'), 'postgres');
  assertUnavailable(await create(body, 'during-postgres'), 'postgres');
  assertUnavailable(await h.request(m, { method: 'GET', url: '/v1/payments' }), 'postgres');
  assert.equal(await h.commandCount(), commands);
});
