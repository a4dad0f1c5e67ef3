/**
 * api/main.ts's startApi from configuration alone: it listens on API_PORT, serves the probes on
 * METRICS_PORT too, opens merchant secrets with the master key kept in the data dir, and a
 * request signed as in the README is accepted over real HTTP.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { startApi } from '../../api/main.ts';
import { resolveMasterKey } from '../../api/merchants/master-key.ts';
import { MerchantStore } from '../../api/merchants/store.ts';
import { ApiHarness, paymentBody } from '../../api/testing/harness.ts';
import { loadConfig } from '../../lib/config.ts';
import { tempDir } from '../helpers/wait.ts';

test('startApi serves signed requests over HTTP from configuration alone', { timeout: 60_000 }, async (t) => {
  const h = await new ApiHarness().start();
  t.after(() => h.close());
  // Production registers schemas ahead of deploys; here the harness does it.
  await h.codec.schemaId('payments.commands', 'PaymentCommand');
  const dataDir = tempDir('api-main', t).path;
  const urls = h.endpoints();
  const config = loadConfig({
    PAYSTREAM_DATA_DIR: dataDir,
    DATABASE_URL: urls.databaseUrl,
    REDIS_URL: urls.redisUrl,
    KAFKA_BROKERS: urls.kafkaBrokers,
    SCHEMA_REGISTRY_URL: urls.schemaRegistryUrl,
    API_PORT: '0',
    METRICS_PORT: '0',
    LOG_LEVEL: 'silent',
  });
  const api = await startApi(config, h.logger);
  t.after(() => api.close());

  const merchant = await new MerchantStore(h.pool, resolveMasterKey(config, dataDir)).create('Main test shop', undefined);
  const raw = JSON.stringify(paymentBody());
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = randomBytes(16).toString('hex');
  const bodySha = createHash('sha256').update(raw).digest('hex');
  const signature = createHmac('sha256', merchant.secret.reveal()).update([timestamp, nonce, 'POST', '/v1/payments', bodySha].join('\n')).digest('hex');
  const res = await fetch(`${api.url}/v1/payments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': 'main-1', 'x-paystream-key': merchant.keyId, 'x-paystream-timestamp': timestamp, 'x-paystream-nonce': nonce, 'x-paystream-signature': `v1=${signature}` },
    body: raw,
  });
  assert.equal(res.status, 202, await res.clone().text());
  assert.match(((await res.json()) as { paymentId: string }).paymentId, /^pay_/);
  assert.equal((await fetch(`${api.url}/readyz`)).status, 200);
  assert.equal((await fetch(`${api.opsUrl}/readyz`)).status, 200);
  assert.match(await (await fetch(`${api.opsUrl}/metrics`)).text(), /paystream_api_request_duration_seconds/);
});
