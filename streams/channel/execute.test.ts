import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChannelId } from '../../connectors/channels/types.ts';
import type { PaymentAssessed } from '../../schemas/types.ts';
import type { BreakerOptions } from './breaker.ts';
import { executePayment } from './execute.ts';
import { ChannelGate } from './gate.ts';
import { AdaptiveSemaphore } from './concurrency.ts';
import { ChannelSwitches } from './switches.ts';
import { fakeChannel, type FakeChannel, type Script } from './testing/fake-channel.ts';
import { STATUS_QUERIES_MAX } from './limits.ts';
import { waitFor } from '../../test/helpers/wait.ts';

const breaker: BreakerOptions = { windowMs: 10_000, buckets: 10, callsMin: 4, failureRateOpen: 0.5, cooldownMs: 100 };

function payment(id: string, over: Partial<PaymentAssessed> = {}): PaymentAssessed {
  return {
    paymentId: id,
    merchantId: 'm1',
    amountMinor: 1234n,
    currency: 'EUR',
    method: 'CARD',
    merchantReference: 'ref',
    channelId: 'acq_alpha',
    fallbackChannelIds: ['acq_beta'],
    ruleId: null,
    experimentArm: null,
    riskScore: 10,
    decision: 'APPROVE',
    reasons: [],
    assessedAtMs: 0,
    ...over,
  };
}

function setup(scripts: Partial<Record<ChannelId, (attemptId: string) => Script>>, nowMs = { value: 0 }) {
  const switches = new ChannelSwitches();
  const clock = { nowMs: () => nowMs.value };
  const adapters: Partial<Record<ChannelId, FakeChannel>> = {};
  const gates: Partial<Record<ChannelId, ChannelGate>> = {};
  for (const [id, script] of Object.entries(scripts) as [ChannelId, (a: string) => Script][]) {
    adapters[id] = fakeChannel(id, script);
    gates[id] = new ChannelGate({ channelId: id, inFlightMax: 2, switches, breaker });
  }
  return { switches, clock, adapters, gates, nowMs };
}

test('executor records one approved attempt on the routed channel with key paymentId:attempt', async () => {
  const s = setup({ acq_alpha: () => 'approve', acq_beta: () => 'approve' });
  const run = await executePayment(payment('p1'), s, s.clock);
  assert.deepEqual(run.end, { kind: 'final', status: 'APPROVED' });
  assert.deepEqual(run.attempts.map((a) => [a.attemptId, a.channelId, a.status]), [['p1:1', 'acq_alpha', 'APPROVED']]);
  assert.deepEqual(s.adapters.acq_alpha?.creates, ['p1:1']);
  assert.equal(run.attempts[0]?.amountMinor, 1234n);
});

test('executor queries an attempt answered unavailable, fails over once the channel says not found, and records every step', async () => {
  const s = setup({ acq_alpha: () => 'unavailable', acq_beta: () => 'approve' });
  const run = await executePayment(payment('p2'), s, s.clock);
  assert.deepEqual(run.attempts.map((a) => [a.attemptId, a.status, a.errorCode]), [['p2:1', 'SENT', 'channel_unavailable'], ['p2:1', 'FAILED', 'not_found'], ['p2:2', 'APPROVED', null]]);
});

test('executor resolves a timeout that charged by query and never calls the fallback', async () => {
  const s = setup({ acq_alpha: () => 'timeout_charged', acq_beta: () => 'approve' });
  const run = await executePayment(payment('p3'), s, s.clock);
  assert.deepEqual(run.attempts.map((a) => a.status), ['SENT', 'APPROVED']);
  assert.deepEqual(s.adapters.acq_beta?.creates, []);
  assert.deepEqual(s.adapters.acq_alpha?.queries, ['p3:1']);
});

test('executor fails over after a timeout the query shows never charged', async () => {
  const s = setup({ acq_alpha: () => 'timeout_uncharged', acq_beta: () => 'approve' });
  const run = await executePayment(payment('p4'), s, s.clock);
  assert.deepEqual(run.attempts.map((a) => [a.channelId, a.status]), [['acq_alpha', 'SENT'], ['acq_alpha', 'FAILED'], ['acq_beta', 'APPROVED']]);
  const total = [...(s.adapters.acq_alpha?.charges.values() ?? []), ...(s.adapters.acq_beta?.charges.values() ?? [])].length;
  assert.equal(total, 1);
});

test('executor leaves an attempt SENT when queries cannot resolve it, and calls no other channel', async () => {
  const s = setup({ acq_alpha: () => 'query_fails', acq_beta: () => 'approve' });
  const run = await executePayment(payment('p5'), s, s.clock);
  assert.deepEqual(run.end, { kind: 'give_up', reason: 'unresolved' });
  assert.equal(s.adapters.acq_alpha?.queries.length, STATUS_QUERIES_MAX);
  assert.deepEqual(s.adapters.acq_beta?.creates, []);
});

test('executor run twice with the same payment charges once (a replayed transaction)', async () => {
  const s = setup({ acq_alpha: () => 'timeout_uncharged', acq_beta: () => 'approve' });
  const first = await executePayment(payment('p6'), s, s.clock);
  const second = await executePayment(payment('p6'), s, s.clock);
  assert.equal(first.end.kind, 'final');
  assert.equal(second.end.kind, 'final');
  assert.equal(s.adapters.acq_beta?.charges.size, 1);
  assert.equal(s.adapters.acq_alpha?.charges.size, 0);
});

test('a kill switch takes traffic off a channel on the next payment and back when lifted', async () => {
  const s = setup({ acq_alpha: () => 'approve', acq_beta: () => 'approve' });
  s.switches.apply('acq_alpha', { channelId: 'acq_alpha', enabled: false, reason: 'incident', updatedBy: 'ops', updatedAtMs: 0 });
  const off = await executePayment(payment('p7'), s, s.clock);
  assert.deepEqual(off.attempts.map((a) => [a.channelId, a.attemptNumber]), [['acq_beta', 2]]);
  s.switches.apply('acq_alpha', null);
  const on = await executePayment(payment('p8'), s, s.clock);
  assert.deepEqual(on.attempts.map((a) => a.channelId), ['acq_alpha']);
});

test('an outage opens the breaker, traffic fails over without calling the channel, and a probe closes it', async () => {
  let down = true;
  const s = setup({ acq_alpha: () => (down ? 'unavailable' : 'approve'), acq_beta: () => 'approve' });
  for (let i = 0; i < 4; i += 1) await executePayment(payment(`q${i}`), s, s.clock);
  assert.equal(s.gates.acq_alpha?.breaker, 'open');
  const callsBefore = s.adapters.acq_alpha?.creates.length;
  const skipped = await executePayment(payment('q-open'), s, s.clock);
  assert.deepEqual(skipped.attempts.map((a) => [a.channelId, a.status]), [['acq_beta', 'APPROVED']]);
  assert.equal(s.adapters.acq_alpha?.creates.length, callsBefore);
  down = false;
  await waitFor(() => s.gates.acq_alpha?.breaker === 'half_open', { timeoutMs: 5_000, message: () => 'the breaker half-open after its cool-down' });
  const probe = await executePayment(payment('q-probe'), s, s.clock);
  assert.deepEqual(probe.attempts.map((a) => [a.channelId, a.status]), [['acq_alpha', 'APPROVED']]);
  assert.equal(s.gates.acq_alpha?.breaker, 'closed');
});

test('creates queued behind the channel limit when the breaker opens are not sent: they fail over, recording nothing on the failed channel', async () => {
  const s = setup({ acq_alpha: () => 'unavailable', acq_beta: () => 'approve' });
  const runs = await Promise.all(Array.from({ length: 12 }, (_, i) => executePayment(payment(`b${i}`), s, s.clock)));
  assert.equal(s.gates.acq_alpha?.breaker, 'open');
  const onAlpha = runs.filter((r) => r.attempts.some((a) => a.channelId === 'acq_alpha'));
  // inFlightMax 2 and callsMin 4: the limit halves on the first failures, so only a few creates
  // meet the outage before the breaker opens; every other payment goes to beta as attempt 2.
  assert.ok(onAlpha.length >= 4 && onAlpha.length <= 5, `${onAlpha.length} payments met the outage`);
  assert.equal(s.adapters.acq_alpha?.creates.length, onAlpha.length);
  for (const r of runs.filter((x) => !onAlpha.includes(x))) assert.deepEqual(r.attempts.map((a) => [a.attemptNumber, a.channelId, a.status]), [[2, 'acq_beta', 'APPROVED']]);
});

test('executor gives up without calls for a payment risk did not approve', async () => {
  const s = setup({ acq_alpha: () => 'approve' });
  const run = await executePayment(payment('p9', { decision: 'REVIEW' }), s, s.clock);
  assert.deepEqual(run.end, { kind: 'give_up', reason: 'not_approved' });
  assert.deepEqual(s.adapters.acq_alpha?.creates, []);
});

test('the channel limit holds calls past it until one finishes, in arrival order', async () => {
  const sem = new AdaptiveSemaphore({ initial: 2, max: 8 });
  await sem.acquire();
  await sem.acquire();
  const order: number[] = [];
  const third = sem.acquire().then(() => order.push(3));
  const fourth = sem.acquire().then(() => order.push(4));
  await Promise.resolve();
  assert.deepEqual(order, []);
  assert.equal(sem.waiting, 2);
  sem.release(undefined);
  await third;
  assert.deepEqual(order, [3]);
  assert.equal(sem.limit, 2, 'a call without an answer teaches nothing');
  sem.release(true);
  await fourth;
  assert.deepEqual(order, [3, 4]);
  assert.equal(sem.limit, 3, 'a healthy answer while calls queued raises the limit by one');
});

test('the channel limit halves on an unhealthy answer, never below one, and grows back only while calls queue', async () => {
  const sem = new AdaptiveSemaphore({ initial: 8, max: 10 });
  for (let i = 0; i < 8; i += 1) await sem.acquire();
  sem.release(false);
  assert.equal(sem.limit, 4);
  sem.release(false);
  sem.release(false);
  sem.release(false);
  assert.equal(sem.limit, 1);
  assert.equal(sem.inUse, 4);
  const queued = sem.acquire();
  sem.release(true);
  sem.release(true);
  sem.release(true);
  assert.equal(sem.limit, 3, 'the two answers that found a call queued raised the limit, the third did not');
  await queued;
  assert.equal(sem.inUse, 2);
  sem.release(true);
  assert.equal(sem.limit, 3, 'nothing queued: no reason to grow');
  sem.release(true);
  for (let i = 0; i < 30; i += 1) {
    const held = sem.limit;
    for (let k = 0; k < held; k += 1) await sem.acquire();
    const waiting = sem.acquire();
    sem.release(true);
    await waiting;
    for (let k = 0; k < held; k += 1) sem.release(true);
  }
  assert.equal(sem.inUse, 0);
  assert.equal(sem.limit, 10, 'capped at the ceiling');
});

test('calls for different payments run concurrently up to the channel limit', async () => {
  const s = setup({ acq_alpha: () => 'approve' });
  let inFlight = 0;
  let peak = 0;
  const adapter = s.adapters.acq_alpha;
  assert.ok(adapter);
  const original = adapter.createPayment.bind(adapter);
  adapter.createPayment = async (request, options) => {
    inFlight += 1;
    peak = Math.max(peak, inFlight);
    await new Promise((r) => setImmediate(r));
    inFlight -= 1;
    return original(request, options);
  };
  await Promise.all(Array.from({ length: 6 }, (_, i) => executePayment(payment(`c${i}`, { fallbackChannelIds: [] }), s, s.clock)));
  assert.equal(peak, 2);
});
