import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createChannelAdapter, type CreatePaymentRequest } from '../index.ts';
import { startSandboxFleet } from './fleet.ts';

test('a sandbox fleet starts all four acquirers and each adapter charges through its own protocol', async () => {
  const fleet = await startSandboxFleet({ notifyUrl: (id) => `http://127.0.0.1:9/${id}`, timeoutMs: 2_000, seed: 5, behaviour: { wallet_a: { completionDelay: { kind: 'fixed', ms: 100_000 } }, wallet_b: { completionDelay: { kind: 'fixed', ms: 100_000 } } } });
  try {
    const ports = new Set(Object.values(fleet.sandboxes).map((s) => new URL(s.url).port));
    assert.equal(ports.size, 4);
    for (const config of Object.values(fleet.adapters)) {
      const adapter = createChannelAdapter(config);
      const card = config.channelId === 'acq_alpha' || config.channelId === 'acq_beta';
      const request: CreatePaymentRequest = { paymentId: `f-${config.channelId}`, attemptId: `f-${config.channelId}:1`, amountMinor: 2500n, currency: 'EUR', instrument: card ? { kind: 'card', token: 'tok_ok', expiryMonth: 12, expiryYear: 2099 } : { kind: 'wallet' } };
      const result = await adapter.createPayment(request);
      assert.equal(result.status, card ? 'approved' : 'pending', `${config.channelId}: ${result.status}`);
      assert.equal(fleet.sandboxes[config.channelId].journal.payment(request.attemptId)?.amountMinor, 2500n);
    }
  } finally {
    await fleet.close();
  }
});
