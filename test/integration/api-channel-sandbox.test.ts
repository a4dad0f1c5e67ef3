/**
 * Channel callbacks end to end with the real adapters and sandbox acquirers: wallet_a (signed
 * JSON) and wallet_b (RSA-signed forms) call POST /v1/channels/:channel/notifications over HTTP,
 * the API verifies each with the channel's adapter, writes it to channel.notifications and
 * answers in the channel's format, which stops the sandbox's retries.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createChannelAdapter, type ChannelAdapter } from '../../connectors/channels/index.ts';
import { startSandboxFleet, type SandboxFleet } from '../../connectors/channels/sandbox/fleet.ts';
import { NOTIFICATIONS_TOPIC } from '../../api/commands.ts';
import { ApiHarness } from '../../api/testing/harness.ts';
import { readAll } from '../../streams/runtime/testing/read-all.ts';
import { waitFor } from '../helpers/wait.ts';

// Filled once the API listens: the sandboxes need its URL and the adapters need the sandboxes.
const channels = new Map<string, ChannelAdapter>();
const h = new ApiHarness({ channels });
let fleet: SandboxFleet;

before(async () => {
  await h.start();
  const api = await h.app.listen({ host: '127.0.0.1', port: 0 });
  fleet = await startSandboxFleet({
    notifyUrl: (channelId) => `${api}/v1/channels/${channelId}/notifications`,
    timeoutMs: 2_000,
    seed: 7,
    behaviour: { wallet_a: { callbacks: { retryDelayMs: 5 } }, wallet_b: { callbacks: { retryDelayMs: 5 } } },
  });
  channels.set('wallet_a', createChannelAdapter(fleet.adapters.wallet_a));
  channels.set('wallet_b', createChannelAdapter(fleet.adapters.wallet_b));
});
after(async () => {
  await fleet?.close();
  await h.close();
});

async function keysOnTopic(): Promise<Set<string | null>> {
  return new Set((await readAll(h.kafka, NOTIFICATIONS_TOPIC)).map((r) => r.key));
}

test('wallet_a and wallet_b callbacks are verified, published and acknowledged in each channel’s format', { timeout: 50_000 }, async () => {
  const a = channels.get('wallet_a');
  const b = channels.get('wallet_b');
  assert.ok(a !== undefined && b !== undefined);
  const createdA = await a.createPayment({ paymentId: 'pay_sandbox_a', attemptId: 'pay_sandbox_a:1', amountMinor: 8800n, currency: 'CNY', instrument: { kind: 'wallet' } });
  const createdB = await b.createPayment({ paymentId: 'pay_sandbox_b', attemptId: 'pay_sandbox_b:1', amountMinor: 15_990n, currency: 'BRL', instrument: { kind: 'wallet' } });
  assert.equal(createdA.status, 'pending', JSON.stringify(createdA));
  assert.equal(createdB.status, 'pending', JSON.stringify(createdB));
  await waitFor(async () => {
    const keys = await keysOnTopic();
    return keys.has('pay_sandbox_a') && keys.has('pay_sandbox_b') ? true : undefined;
  }, { timeoutMs: 30_000, intervalMs: 200, message: () => `both callbacks on ${NOTIFICATIONS_TOPIC}` });
  for (const channelId of ['wallet_a', 'wallet_b'] as const) {
    const { stats } = await waitFor(() => {
      const cb = fleet.sandboxes[channelId].admin.callbacks();
      return cb.stats.acknowledged >= 1 ? cb : undefined;
    }, { timeoutMs: 15_000, message: `${channelId} to see its callback acknowledged` });
    assert.equal(stats.gaveUp, 0, channelId);
  }
  const metrics = (await h.app.inject({ method: 'GET', url: '/metrics' })).body;
  assert.match(metrics, /paystream_api_channel_notifications_total\{channel="wallet_a",outcome="accepted"/);
  assert.match(metrics, /paystream_api_channel_notifications_total\{channel="wallet_b",outcome="accepted"/);
});

test('a callback forged against the real wallet_b adapter is refused with its rejection and counted', async () => {
  const body = 'notify_id=NTFforged&notify_type=trade_status_sync&out_trade_no=x%3A1&trade_status=TRADE_SUCCESS&total_amount=1.00&currency=BRL&sign_type=RSA2&sign=AAAA';
  const res = await h.app.inject({ method: 'POST', url: '/v1/channels/wallet_b/notifications', payload: body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.notEqual(res.body, 'success');
  const metrics = (await h.app.inject({ method: 'GET', url: '/metrics' })).body;
  assert.match(metrics, /paystream_api_channel_notifications_total\{channel="wallet_b",outcome="(bad_signature|malformed_response)"/);
});
