import { test } from 'node:test';
import assert from 'node:assert/strict';
import { afterCreate, afterQuery, afterRefusal, attemptId, begin, routedChannels, type Decision, type Step } from './decide.ts';
import { ChannelError, CHANNEL_IDS, type ChannelId, type PaymentResult, type StatusResult } from '../../connectors/channels/types.ts';
import { STATUS_QUERIES_MAX } from './limits.ts';

const all = (): boolean => true;
const base = { channelId: 'acq_alpha', fallbackChannelIds: ['acq_beta', 'wallet_a'], decision: 'APPROVE' as const };

function err(channelId: ChannelId, charge: 'not_charged' | 'unknown'): ChannelError {
  return new ChannelError(channelId, charge === 'unknown' ? 'channel_timeout' : 'channel_unavailable', 'x', { charge });
}
const approved = { status: 'approved', channelReference: 'r1', amountMinor: 100n, currency: 'EUR' } as const;
const declined = { status: 'declined', reason: 'do_not_honour', channelReasonCode: '05', channelReference: 'r2' } as const;
const pending = { status: 'pending', channelReference: 'r3', payerAction: null } as const;

test('decide sends the first create to the routed channel as attempt 1', () => {
  const d = begin(base, all);
  assert.deepEqual(d.next, { kind: 'create', channelId: 'acq_alpha', attemptNumber: 1 });
  assert.equal(attemptId('p1', 1), 'p1:1');
});

test('decide sends nothing for a payment risk did not approve', () => {
  for (const decision of ['REVIEW', 'DECLINE'] as const) {
    const d = begin({ ...base, decision }, all);
    assert.deepEqual(d.next, { kind: 'give_up', reason: 'not_approved' });
    assert.deepEqual(d.record, []);
  }
});

test('decide drops unknown and repeated channels from the routed list', () => {
  assert.deepEqual(routedChannels({ channelId: 'nope', fallbackChannelIds: ['acq_beta', 'acq_beta', 'wallet_b'] }), ['acq_beta', 'wallet_b']);
  assert.deepEqual(begin({ ...base, channelId: 'nope', fallbackChannelIds: [] }, all).next, { kind: 'give_up', reason: 'no_channel_available' });
});

test('decide skips a channel that is switched off or whose breaker is open', () => {
  const d = begin(base, (id) => id !== 'acq_alpha');
  assert.deepEqual(d.next, { kind: 'create', channelId: 'acq_beta', attemptNumber: 2 });
});

test('decide skips a channel whose gate refused the create, recording nothing, as if it had been unusable from the start', () => {
  const first = begin(base, all);
  const alphaDown = (id: ChannelId): boolean => id !== 'acq_alpha';
  const next = afterRefusal(first.progress, alphaDown);
  assert.deepEqual(next.record, []);
  assert.deepEqual(next.next, { kind: 'create', channelId: 'acq_beta', attemptNumber: 2 });
  assert.deepEqual(next.next, begin(base, alphaDown).next, 'the same step begin takes when alpha is unusable at the start');
  const none = afterRefusal(first.progress, () => false);
  assert.deepEqual(none.next, { kind: 'give_up', reason: 'no_channel_available' });
});

test('decide records an approval, a decline and a pending result as final', () => {
  const start = begin(base, all).progress;
  const a = afterCreate(start, approved, all);
  assert.deepEqual(a.next, { kind: 'final', status: 'APPROVED' });
  assert.equal(a.record[0]?.status, 'APPROVED');
  assert.equal(a.record[0]?.channelReference, 'r1');
  const d = afterCreate(start, declined, all);
  assert.deepEqual(d.next, { kind: 'final', status: 'DECLINED' });
  assert.equal(d.record[0]?.declineCode, 'do_not_honour');
  assert.deepEqual(afterCreate(start, pending, all).next, { kind: 'final', status: 'PENDING' });
});

test('decide queries an attempt answered with an error (the same id may have charged when sent before) and fails over only on not found', () => {
  const start = begin(base, all).progress;
  let d = afterCreate(start, { status: 'error', charged: false, error: err('acq_alpha', 'not_charged') }, all);
  assert.deepEqual(d.record.map((l) => [l.channelId, l.status, l.errorCode]), [['acq_alpha', 'SENT', 'channel_unavailable']]);
  assert.deepEqual(d.next, { kind: 'query', channelId: 'acq_alpha', attemptNumber: 1, queryNumber: 1 });
  d = afterQuery(d.progress, { status: 'not_found' }, all);
  assert.deepEqual(d.record.map((l) => [l.channelId, l.status, l.errorCode]), [['acq_alpha', 'FAILED', 'not_found']]);
  assert.deepEqual(d.next, { kind: 'create', channelId: 'acq_beta', attemptNumber: 2 });
  const charged = afterQuery(afterCreate(start, { status: 'error', charged: false, error: err('acq_alpha', 'not_charged') }, all).progress, { status: 'approved', channelReference: 'r', amountMinor: 1n, currency: 'EUR' }, all);
  assert.deepEqual(charged.next, { kind: 'final', status: 'APPROVED' }, 'an error on a repeat whose first send charged: that charge is the result, no failover');
});

test('decide gives up when every channel failed without charging', () => {
  let d: Decision = begin({ ...base, fallbackChannelIds: [] }, all);
  d = afterCreate(d.progress, { status: 'error', charged: false, error: err('acq_alpha', 'not_charged') }, all);
  d = afterQuery(d.progress, { status: 'not_found' }, all);
  assert.deepEqual(d.next, { kind: 'give_up', reason: 'channels_exhausted' });
  assert.equal(d.record.length, 1);
});

test('decide queries an ambiguous attempt and fails over only after the channel says not found', () => {
  const start = begin(base, all).progress;
  const amb = afterCreate(start, { status: 'ambiguous', error: err('acq_alpha', 'unknown') }, all);
  assert.deepEqual(amb.next, { kind: 'query', channelId: 'acq_alpha', attemptNumber: 1, queryNumber: 1 });
  assert.equal(amb.record[0]?.status, 'SENT');
  const nf = afterQuery(amb.progress, { status: 'not_found' }, all);
  assert.deepEqual(nf.record.map((l) => l.status), ['FAILED']);
  assert.deepEqual(nf.next, { kind: 'create', channelId: 'acq_beta', attemptNumber: 2 });
  const ok = afterQuery(amb.progress, approved, all);
  assert.deepEqual(ok.next, { kind: 'final', status: 'APPROVED' });
});

test('decide leaves an attempt unresolved after its query budget instead of failing over', () => {
  let d = afterCreate(begin(base, all).progress, { status: 'ambiguous', error: err('acq_alpha', 'unknown') }, all);
  for (let i = 1; i < STATUS_QUERIES_MAX; i += 1) {
    d = afterQuery(d.progress, { status: 'ambiguous', error: err('acq_alpha', 'unknown') }, all);
    assert.equal(d.next.kind, 'query');
  }
  d = afterQuery(d.progress, { status: 'error', charged: false, error: err('acq_alpha', 'not_charged') }, all);
  assert.deepEqual(d.next, { kind: 'give_up', reason: 'unresolved' });
});

test('decide refuses a call result when no call was made', () => {
  const start = begin({ ...base, decision: 'DECLINE' }, all).progress;
  assert.throws(() => afterCreate(start, approved, all));
});

// --- Property tests: random routed lists, random channel answers, random usability -----------

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(r: () => number, xs: readonly T[]): T {
  const x = xs[Math.floor(r() * xs.length)];
  if (x === undefined) throw new Error('empty');
  return x;
}

function randomCreate(r: () => number, id: ChannelId): PaymentResult {
  return pick(r, [
    approved,
    declined,
    pending,
    { status: 'error', charged: false, error: err(id, 'not_charged') },
    { status: 'ambiguous', error: err(id, 'unknown') },
    { status: 'ambiguous', error: err(id, 'unknown') },
  ] as PaymentResult[]);
}

function randomStatus(r: () => number, id: ChannelId): StatusResult {
  return pick(r, [
    approved,
    declined,
    pending,
    { status: 'not_found' },
    { status: 'refunded', channelReference: 'r', amountMinor: 1n, currency: 'EUR', refundedMinor: 1n },
    { status: 'error', charged: false, error: err(id, 'not_charged') },
    { status: 'ambiguous', error: err(id, 'unknown') },
  ] as StatusResult[]);
}

interface Run {
  steps: Step[];
  answers: string[];
  channels: ChannelId[];
}

function simulate(seed: number): Run {
  const r = rng(seed);
  const fallbacks = Array.from({ length: Math.floor(r() * 5) }, () => pick(r, [...CHANNEL_IDS, 'unknown_channel']));
  const payment = { channelId: pick(r, CHANNEL_IDS), fallbackChannelIds: fallbacks, decision: 'APPROVE' as const };
  const usable = (): boolean => r() < 0.8;
  let d = begin(payment, usable);
  const run: Run = { steps: [d.next], answers: [], channels: routedChannels(payment) };
  for (let guard = 0; guard < 100; guard += 1) {
    const step = d.next;
    if (step.kind === 'create') {
      const answer = randomCreate(r, step.channelId);
      run.answers.push(answer.status);
      d = afterCreate(d.progress, answer, usable);
    } else if (step.kind === 'query') {
      const answer = randomStatus(r, step.channelId);
      run.answers.push(answer.status);
      d = afterQuery(d.progress, answer, usable);
    } else {
      return run;
    }
    run.steps.push(d.next);
  }
  throw new Error(`seed ${seed}: decisions did not end`);
}

const SEEDS = 5_000;

test('an ambiguous outcome is never followed by a create on any channel before a query resolved it', () => {
  for (let seed = 1; seed <= SEEDS; seed += 1) {
    const run = simulate(seed);
    let unresolved = false;
    for (let i = 0; i < run.answers.length; i += 1) {
      const answer = run.answers[i];
      const next = run.steps[i + 1];
      if (answer === 'ambiguous' && run.steps[i]?.kind === 'create') unresolved = true;
      if (run.steps[i]?.kind === 'query' && answer !== 'ambiguous' && answer !== 'error') unresolved = false;
      if (unresolved) assert.notEqual(next?.kind, 'create', `seed ${seed}: create after an unresolved ambiguous attempt`);
    }
  }
});

test('a decline is final on every path', () => {
  for (let seed = 1; seed <= SEEDS; seed += 1) {
    const run = simulate(seed);
    run.answers.forEach((answer, i) => {
      if (answer === 'declined') assert.deepEqual(run.steps[i + 1], { kind: 'final', status: 'DECLINED' }, `seed ${seed}`);
    });
  }
});

test('failover follows the routed list in order and tries each channel at most once', () => {
  for (let seed = 1; seed <= SEEDS; seed += 1) {
    const run = simulate(seed);
    const creates = run.steps.filter((s): s is Extract<Step, { kind: 'create' }> => s.kind === 'create');
    const places = creates.map((c) => run.channels.indexOf(c.channelId));
    for (let i = 1; i < places.length; i += 1) assert.ok((places[i] ?? -1) > (places[i - 1] ?? -1), `seed ${seed}: out of order`);
    for (const c of creates) assert.equal(c.attemptNumber, run.channels.indexOf(c.channelId) + 1, `seed ${seed}: attempt number`);
  }
});

test('every run ends with a final status or a reason, within the query budget', () => {
  for (let seed = 1; seed <= SEEDS; seed += 1) {
    const run = simulate(seed);
    const last = run.steps[run.steps.length - 1];
    assert.ok(last?.kind === 'final' || last?.kind === 'give_up', `seed ${seed}`);
    const queries = run.steps.filter((s) => s.kind === 'query').map((s) => (s.kind === 'query' ? s.queryNumber : 0));
    assert.ok(queries.every((q) => q <= STATUS_QUERIES_MAX), `seed ${seed}`);
  }
});
