/**
 * POST /v1/channels/:channel/notifications with channel adapters behind the ChannelAdapter seam:
 * a verified callback lands on channel.notifications and is acknowledged in the channel's own
 * format; forged and malformed callbacks are refused in that format, written nowhere and counted;
 * form-encoded callbacks reach their adapter as raw bytes; Kafka down is 503 so the channel retries.
 * The adapters here are small stand-ins with their own HMAC schemes; the real ones live in
 * connectors/channels and plug into the same map.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ApiHarness } from '../../api/testing/harness.ts';
import { NOTIFICATIONS_TOPIC } from '../../api/commands.ts';
import { ChannelError, type ChannelAdapter, type ChannelId, type NotificationVerification } from '../../connectors/channels/types.ts';
import { readAll } from '../../streams/runtime/testing/read-all.ts';

const SECRET = 'channel-callback-secret';
const mac = (bytes: Buffer | string) => createHmac('sha256', SECRET).update(bytes).digest('hex');

function verified(channelId: ChannelId, fields: Record<string, unknown>): NotificationVerification {
  const { id, paymentId, reference, status, amount, currency } = fields;
  if (typeof id !== 'string' || typeof paymentId !== 'string' || typeof reference !== 'string' || (status !== 'APPROVED' && status !== 'DECLINED')) {
    return { ok: false, error: new ChannelError(channelId, 'malformed_response', 'missing or unknown fields', { charge: 'unknown' }) };
  }
  return {
    ok: true,
    notification: { notificationId: id, channelId, paymentId, attemptId: null, channelReference: reference, status, amountMinor: amount === undefined ? null : BigInt(String(amount)), currency: typeof currency === 'string' ? currency : null, occurredAtMs: 1_700_000_000_000 },
  };
}

function adapter(channelId: ChannelId, parse: (raw: Buffer) => Record<string, unknown> | undefined, signatureOf: (headers: Record<string, string | string[] | undefined>) => string | undefined, ackOk: { statusCode: number; contentType: string; body: string }): ChannelAdapter {
  const unused = () => {
    throw new Error('not used by the API');
  };
  return {
    channelId,
    createPayment: unused,
    queryStatus: unused,
    refund: unused,
    parseStatement: unused,
    async verifyNotification(rawBody, headers) {
      const raw = typeof rawBody === 'string' ? Buffer.from(rawBody) : rawBody;
      const presented = Buffer.from(signatureOf(headers) ?? '', 'utf8');
      const expected = Buffer.from(mac(raw), 'utf8');
      if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return { ok: false, error: new ChannelError(channelId, 'bad_signature', 'callback signature does not verify', { charge: 'unknown' }) };
      const fields = parse(raw);
      if (fields === undefined) return { ok: false, error: new ChannelError(channelId, 'malformed_response', 'callback body does not parse', { charge: 'unknown' }) };
      return verified(channelId, fields);
    },
    notificationAck: (kind) => (kind === 'accepted' ? ackOk : { statusCode: 400, contentType: 'application/json', body: '{"result":"rejected"}' }),
  };
}

const jsonChannel = adapter(
  'wallet_a',
  (raw) => {
    try {
      return JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    } catch (err) {
      if (err instanceof SyntaxError) return undefined;
      throw err;
    }
  },
  (headers) => (typeof headers['x-wallet-signature'] === 'string' ? headers['x-wallet-signature'] : undefined),
  { statusCode: 200, contentType: 'application/json', body: '{"result":"ok"}' },
);
const formChannel = adapter(
  'wallet_b',
  (raw) => Object.fromEntries(new URLSearchParams(raw.toString('utf8'))),
  (headers) => (typeof headers['x-sign'] === 'string' ? headers['x-sign'] : undefined),
  { statusCode: 200, contentType: 'text/plain', body: 'SUCCESS' },
);

const h = new ApiHarness({ produceTimeoutMs: 1_500, channels: new Map<string, ChannelAdapter>([['wallet_a', jsonChannel], ['wallet_b', formChannel]]) });
before(() => h.start());
after(() => h.close());

const post = (channel: string, body: string, headers: Record<string, string>) => h.app.inject({ method: 'POST', url: `/v1/channels/${channel}/notifications`, payload: body, headers });

test('a verified JSON callback is on channel.notifications and acknowledged in the channel’s format', async () => {
  const body = JSON.stringify({ id: 'ntf-1', paymentId: 'pay_abc', reference: 'wa-77', status: 'APPROVED', amount: 1250, currency: 'EUR' });
  const res = await post('wallet_a', body, { 'content-type': 'application/json', 'x-wallet-signature': mac(body) });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.body, '{"result":"ok"}');
  const records = await readAll(h.kafka, NOTIFICATIONS_TOPIC);
  const record = records.find((r) => r.key === 'pay_abc');
  assert.ok(record !== undefined);
  const consumer = h.kafka.consumer({ groupId: 'notif-check', maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic: NOTIFICATIONS_TOPIC, fromBeginning: true });
  const value = await new Promise<Buffer>((resolve) => {
    void consumer.run({ eachMessage: async ({ message }) => (message.key?.toString() === 'pay_abc' && message.value !== null ? resolve(message.value) : undefined) });
  });
  await consumer.disconnect();
  const decoded = await h.codec.decode('ChannelNotification', value);
  assert.equal(decoded.notificationId, 'ntf-1');
  assert.equal(decoded.channelId, 'wallet_a');
  assert.equal(decoded.amountMinor, 1250n);
  assert.ok(decoded.receivedAtMs > 0);
});

test('a form-encoded callback reaches its adapter as raw bytes', async () => {
  const body = 'id=ntf-2&paymentId=pay_form&reference=wb-1&status=DECLINED';
  const res = await post('wallet_b', body, { 'content-type': 'application/x-www-form-urlencoded', 'x-sign': mac(body) });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.body, 'SUCCESS');
});

test('forged and malformed callbacks are refused in the channel’s format, written nowhere and counted', async () => {
  const before = await h.commandCount(NOTIFICATIONS_TOPIC);
  const body = JSON.stringify({ id: 'ntf-3', paymentId: 'pay_x', reference: 'r', status: 'APPROVED' });
  const forged = await post('wallet_a', body.replace('APPROVED', 'DECLINED'), { 'content-type': 'application/json', 'x-wallet-signature': mac(body) });
  assert.equal(forged.statusCode, 400);
  assert.equal(forged.body, '{"result":"rejected"}');
  const unsigned = await post('wallet_a', body, { 'content-type': 'application/json' });
  assert.equal(unsigned.statusCode, 400);
  const garbage = '{"id":';
  assert.equal((await post('wallet_a', garbage, { 'content-type': 'application/json', 'x-wallet-signature': mac(garbage) })).statusCode, 400);
  const missing = JSON.stringify({ id: 'ntf-4' });
  assert.equal((await post('wallet_a', missing, { 'content-type': 'application/json', 'x-wallet-signature': mac(missing) })).statusCode, 400);
  assert.equal(await h.commandCount(NOTIFICATIONS_TOPIC), before);
  const metrics = (await h.app.inject({ method: 'GET', url: '/metrics' })).body;
  assert.match(metrics, /paystream_api_channel_notifications_total\{channel="wallet_a",outcome="bad_signature"[^}]*\} 2/);
  assert.match(metrics, /paystream_api_channel_notifications_total\{channel="wallet_a",outcome="malformed_response"[^}]*\} 2/);
});

test('an unknown channel is 404 problem+json; a body over 64 KiB is 413', async () => {
  const res = await post('acq_gamma', '{}', { 'content-type': 'application/json' });
  assert.equal(res.statusCode, 404);
  assert.equal(res.json<{ code: string }>().code, 'not_found');
  const big = await post('wallet_b', 'x'.repeat(70 * 1024), { 'content-type': 'text/plain' });
  assert.equal(big.statusCode, 413);
});

test('with Kafka down a verified callback is 503, so the channel retries it later', { timeout: 40_000 }, async () => {
  await h.stopKafka();
  try {
    const body = JSON.stringify({ id: 'ntf-5', paymentId: 'pay_later', reference: 'r5', status: 'APPROVED' });
    const res = await post('wallet_a', body, { 'content-type': 'application/json', 'x-wallet-signature': mac(body) });
    assert.equal(res.statusCode, 503);
    assert.equal(res.json<{ code: string }>().code, 'service_unavailable');
  } finally {
    await h.startKafka();
  }
});
