import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { waitUntil } from '../../lib/wait.ts';
import { createChannelAdapter, type ChannelAdapter, type ChannelId, type StatusResult } from '../../connectors/channels/index.ts';
import { startSandboxFleet } from '../../connectors/channels/sandbox/index.ts';
import { startNotificationReceiver } from '../../connectors/channels/testing/notification-receiver.ts';

/**
 * A seeded storm against all four sandbox acquirers, driven through the adapters by a tiny
 * resolver that follows the result contract (query before retrying anything ambiguous, retry
 * only what surely did not charge). The sandbox journals must show every payment charged at
 * most once, our view must match theirs, and every statement must parse back to its journal.
 */

const PAYMENTS_PER_CHANNEL = 40;
// Well above the sandbox latency, so that on a busy machine only the simulated timeouts time out.
const CALL_TIMEOUT_MS = 600;
const storm = {
  latency: { kind: 'uniform', minMs: 0, maxMs: 15 },
  declineRate: 0.15,
  errorRate: 0.1,
  timeoutRate: 0.1,
  timeoutProcessedRate: 0.5,
  timeoutHoldMs: 5_000,
  completionDelay: { kind: 'uniform', minMs: 0, maxMs: 40 },
  completionDeclineRate: 0.15,
  callbacks: { lossRate: 0.25, duplicateRate: 0.25, retryDelayMs: 5 },
} as const;

type Final = Extract<StatusResult, { status: 'approved' | 'declined' | 'pending' }>;

/** Asks until the channel gives a definite answer; null means it never saw the attempt. */
async function resolve(adapter: ChannelAdapter, attemptId: string): Promise<Final | null> {
  for (let i = 0; i < 50; i += 1) {
    const s = await adapter.queryStatus({ attemptId }, { timeoutMs: CALL_TIMEOUT_MS });
    if (s.status === 'not_found') return null;
    if (s.status === 'approved' || s.status === 'declined' || s.status === 'pending') return s;
    // Back off like a real resolver would, so retries never pile onto a struggling channel.
    await delay(Math.min(200, 10 * 2 ** i));
  }
  throw new Error(`${attemptId} never resolved`);
}

/** One payment: new attempts only after a sure "not charged"; ambiguity is resolved by query first. */
async function pay(adapter: ChannelAdapter, paymentId: string, card: boolean): Promise<{ attemptId: string; result: Final }> {
  for (let attempt = 1; attempt <= 30; attempt += 1) {
    const attemptId = `${paymentId}:${attempt}`;
    const r = await adapter.createPayment({ paymentId, attemptId, amountMinor: 1000n + BigInt(attempt), currency: 'EUR', instrument: card ? { kind: 'card', token: 'tok_ok', expiryMonth: 12, expiryYear: 2099 } : { kind: 'wallet' } }, { timeoutMs: CALL_TIMEOUT_MS });
    if (r.status === 'error') continue;
    if (r.status !== 'ambiguous') return { attemptId, result: r };
    const resolved = await resolve(adapter, attemptId);
    if (resolved !== null) return { attemptId, result: resolved };
  }
  throw new Error(`${paymentId} never got through`);
}

test('a seeded storm of errors, timeouts, declines and lost or duplicated callbacks charges nothing twice and leaves nothing unresolved', async () => {
  const adapters: Partial<Record<ChannelId, ChannelAdapter>> = {};
  const receivers = { wallet_a: await startNotificationReceiver(() => adapters.wallet_a as ChannelAdapter), wallet_b: await startNotificationReceiver(() => adapters.wallet_b as ChannelAdapter) };
  const fleet = await startSandboxFleet({ notifyUrl: (id) => receivers[id].url, timeoutMs: CALL_TIMEOUT_MS, seed: 2026, behaviour: { acq_alpha: storm, acq_beta: storm, wallet_a: storm, wallet_b: storm } });
  try {
    for (const [id, config] of Object.entries(fleet.adapters)) adapters[id as ChannelId] = createChannelAdapter(config);
    const outcomes = await Promise.all(
      Object.values(fleet.adapters).map(async ({ channelId }) => {
        const adapter = adapters[channelId] as ChannelAdapter;
        const card = channelId === 'acq_alpha' || channelId === 'acq_beta';
        const results = await Promise.all(Array.from({ length: PAYMENTS_PER_CHANNEL }, (_, i) => pay(adapter, `${channelId}-${i}`, card)));
        return { channelId, adapter, results };
      }),
    );
    // No more chaos while the endings are read.
    for (const s of Object.values(fleet.sandboxes)) s.admin.setBehaviour({ errorRate: 0, timeoutRate: 0 });
    for (const { channelId, adapter, results } of outcomes) {
      const sandbox = fleet.sandboxes[channelId];
      await waitUntil(() => (sandbox.admin.pendingWork() === 0 ? true : undefined), { timeoutMs: 20_000, what: `${channelId} to go quiet` });
      const charged = sandbox.journal.charged();
      const byPayment = new Map<string, number>();
      for (const e of charged) byPayment.set(e.merchantRef, (byPayment.get(e.merchantRef) ?? 0) + 1);
      for (const [paymentId, count] of byPayment) assert.equal(count, 1, `${paymentId} charged ${count} times`);
      for (const { attemptId, result } of results) {
        const final = result.status === 'pending' ? await resolve(adapter, attemptId) : result;
        assert.ok(final !== null && final.status !== 'pending', `${attemptId} is still unresolved`);
        const entry = sandbox.journal.payment(attemptId);
        assert.equal(final.status, entry?.state, `${attemptId}: we see ${final.status}, the acquirer recorded ${entry?.state}`);
      }
      const statement = adapter.parseStatement(sandbox.admin.statement(new Date(charged[0]?.completedAtMs ?? Date.now()).toISOString().slice(0, 10)).content);
      assert.deepEqual(statement.rejected, []);
      if (channelId === 'acq_alpha') assert.deepEqual(new Set(statement.lines.map((l) => l.channelReference)), new Set(charged.map((e) => e.reference)));
      assert.ok(sandbox.admin.counters().timeouts > 0 && sandbox.admin.counters().injectedErrors > 0, `${channelId} saw the storm`);
    }
    for (const id of ['wallet_a', 'wallet_b'] as const) {
      const stats = fleet.sandboxes[id].admin.callbacks().stats;
      assert.ok(stats.lost > 0 && stats.duplicates > 0, `${id} lost and duplicated callbacks: ${JSON.stringify(stats)}`);
      const ids = receivers[id].received.flatMap((r) => (r.verification.ok ? [r.verification.notification.notificationId] : []));
      assert.ok(new Set(ids).size < ids.length, 'duplicates arrived with the same notification id');
      assert.ok(receivers[id].received.every((r) => r.verification.ok), 'every genuine callback verified');
    }
  } finally {
    await fleet.close();
    await receivers.wallet_a.close();
    await receivers.wallet_b.close();
  }
});
