import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../../lib/logger.ts';
import { Secret } from '../../lib/secret.ts';
import { MerchantStore } from '../../api/merchants/store.ts';
import { sign } from '../../api/signature.ts';
import type { AvroCodec } from '../../schemas/codec.ts';
import { SAMPLES } from '../../schemas/samples.ts';
import type { PaymentEvent } from '../../schemas/types.ts';
import { WebhookDispatcher } from '../../streams/webhooks/dispatcher.ts';
import { startWebhookIntake } from '../../streams/webhooks/intake.ts';
import { deliveriesOf, requeue } from '../../streams/webhooks/store.ts';
import { Scope, connectedAdmin, connectedProducer, newKafka, uniqueName } from '../helpers/kafkajs.ts';
import { startBrokerWithRegistry } from '../helpers/registry.ts';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { waitFor } from '../helpers/wait.ts';

const logger = createLogger({ level: 'silent' });
let scope: Scope;
let bootstrap: string;
let codec: AvroCodec;
let pg: TestPostgres;
let merchants: MerchantStore;

before(async () => {
  scope = new Scope({ after: () => undefined });
  ({ bootstrap, codec } = await startBrokerWithRegistry(scope));
  pg = await startTestPostgres();
  scope.defer('close postgres', () => pg.close());
  merchants = new MerchantStore(pg.pool, new Secret(randomBytes(32).toString('hex')));
});
after(() => scope.close());

interface Received {
  eventId: string;
  verified: boolean;
  body: { id: string; type: string; data: { status: string; amountMinor: number } };
}

/** A merchant endpoint that answers 500 `failures` times, then 200, checking every signature. */
async function merchantEndpoint(secret: () => string, failures: number): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  let calls = 0;
  const server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      calls += 1;
      const eventId = String(req.headers['x-paystream-event-id']);
      const timestamp = String(req.headers['x-paystream-timestamp']);
      const expected = `v1=${sign(secret(), { timestamp, nonce: eventId, method: 'POST', pathWithQuery: req.url ?? '/', body: raw })}`;
      received.push({ eventId, verified: req.headers['x-paystream-signature'] === expected, body: JSON.parse(raw) as Received['body'] });
      res.statusCode = calls <= failures ? 500 : 200;
      res.end(calls <= failures ? 'merchant down' : 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  scope.defer('close merchant endpoint', () => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/paystream?shop=1`, received, server };
}

function event(merchantId: string, paymentId: string, sequence: number, type: PaymentEvent['type']): PaymentEvent {
  return { ...SAMPLES.PaymentEvent, eventId: `${paymentId}:${sequence}`, paymentId, merchantId, sequence, type, status: type === 'ROUTED' ? 'ROUTED' : 'SUCCEEDED', amountMinor: 1999n, capturedMinor: 1999n };
}

test('webhooks: signed, retried while the merchant fails, delivered once when it recovers; internal events and duplicates are not sent', { timeout: 60_000 }, async () => {
  let webhookSecret = '';
  const endpoint = await merchantEndpoint(() => webhookSecret, 2);
  const merchant = await merchants.create('Hooked', endpoint.url);
  webhookSecret = merchant.webhookSecret.reveal();
  const topic = uniqueName('events');
  const kafka = newKafka(bootstrap);
  await (await connectedAdmin(scope, kafka)).createTopics({ topics: [{ topic, numPartitions: 2 }] });
  const producer = await connectedProducer(scope, kafka);
  const succeeded = event(merchant.merchantId, 'pay-hook', 5, 'SUCCEEDED');
  const value = await codec.encode(topic, 'PaymentEvent', succeeded);
  await producer.send({ topic, messages: [
    { key: 'pay-hook', value: await codec.encode(topic, 'PaymentEvent', event(merchant.merchantId, 'pay-hook', 2, 'ROUTED')) },
    { key: 'pay-hook', value },
    // The same event again (a re-consumed record upstream): one delivery.
    { key: 'pay-hook', value },
  ] });

  const intake = await startWebhookIntake({ kafka, codec, pool: pg.pool, merchants, logger, windowMs: 60_000, topic, groupId: uniqueName('webhooks') });
  scope.defer('stop intake', () => intake.stop());
  const dispatcher = new WebhookDispatcher({ pool: pg.pool, merchants, logger, retryDelayMsMin: 50, retryDelayMsMax: 200, timeoutMs: 2_000, pollIntervalMs: 25 });
  dispatcher.start();
  scope.defer('stop dispatcher', () => dispatcher.stop());

  await waitFor(async () => (await deliveriesOf(pg.pool, 'pay-hook'))[0]?.status === 'delivered', { timeoutMs: 30_000, message: () => `delivery (merchant saw ${endpoint.received.length} calls)` });
  const log = await deliveriesOf(pg.pool, 'pay-hook');
  assert.equal(log.length, 1, 'only the SUCCEEDED event is for the merchant, queued once');
  assert.equal(log[0]?.eventId, 'pay-hook:5');
  assert.equal(log[0]?.attempts, 3, 'two failures, then the delivery');
  assert.equal(log[0]?.lastHttpStatus, 200);
  assert.equal(endpoint.received.length, 3);
  assert.ok(endpoint.received.every((r) => r.verified), 'every call verifies with the merchant webhook secret');
  assert.deepEqual(endpoint.received.map((r) => r.eventId), ['pay-hook:5', 'pay-hook:5', 'pay-hook:5'], 'the same event id on each retry');
  assert.equal(endpoint.received[2]?.body.type, 'payment.succeeded');
  assert.equal(endpoint.received[2]?.body.data.amountMinor, 1999);

  // A replay sends it again (the merchant dedupes by event id).
  assert.equal(await requeue(pg.pool, { eventId: 'pay-hook:5' }, Date.now(), 60_000), 1);
  await waitFor(() => endpoint.received.length === 4, { timeoutMs: 15_000, message: () => 'the replayed delivery' });
  await waitFor(async () => (await deliveriesOf(pg.pool, 'pay-hook'))[0]?.status === 'delivered', { timeoutMs: 15_000, message: () => 'replay recorded' });
});

test('webhooks: an unreachable merchant ends failed after the window; a merchant without a URL is skipped', { timeout: 60_000 }, async () => {
  const down = await merchants.create('Down', 'http://127.0.0.1:1/hooks');
  const none = await merchants.create('Quiet', undefined);
  const topic = uniqueName('events');
  const kafka = newKafka(bootstrap);
  await (await connectedAdmin(scope, kafka)).createTopics({ topics: [{ topic, numPartitions: 1 }] });
  const producer = await connectedProducer(scope, kafka);
  await producer.send({ topic, messages: [
    { key: 'pay-down', value: await codec.encode(topic, 'PaymentEvent', event(down.merchantId, 'pay-down', 4, 'SUCCEEDED')) },
    { key: 'pay-quiet', value: await codec.encode(topic, 'PaymentEvent', event(none.merchantId, 'pay-quiet', 4, 'SUCCEEDED')) },
  ] });
  const intake = await startWebhookIntake({ kafka, codec, pool: pg.pool, merchants, logger, windowMs: 600, topic, groupId: uniqueName('webhooks') });
  scope.defer('stop intake', () => intake.stop());
  const dispatcher = new WebhookDispatcher({ pool: pg.pool, merchants, logger, retryDelayMsMin: 50, retryDelayMsMax: 100, timeoutMs: 1_000, pollIntervalMs: 25 });
  dispatcher.start();
  scope.defer('stop dispatcher', () => dispatcher.stop());
  await waitFor(async () => (await deliveriesOf(pg.pool, 'pay-down'))[0]?.status === 'failed', { timeoutMs: 30_000, message: () => 'the delivery to give up' });
  const failed = (await deliveriesOf(pg.pool, 'pay-down'))[0];
  assert.ok((failed?.attempts ?? 0) >= 2, `retried before giving up (${failed?.attempts})`);
  assert.match(failed?.lastError ?? '', /ECONNREFUSED|fetch failed/);
  const quiet = (await deliveriesOf(pg.pool, 'pay-quiet'))[0];
  assert.equal(quiet?.status, 'skipped');
  assert.equal(quiet?.attempts, 0);
});
