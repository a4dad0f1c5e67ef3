import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PaymentStatus } from '../../schemas/types.ts';
import { applyInput, createPayment } from './apply.ts';
import type { PaymentState, ResultInput } from './state.ts';
import { ENDED_UNPAID, STAGE, TRANSITIONS, isValidMove, reachableFrom } from './transitions.ts';
import { inputs } from './testing/inputs.ts';

const ALL = Object.keys(TRANSITIONS) as PaymentStatus[];
const FLOW: PaymentStatus[] = ['CREATED', 'ROUTED', 'IN_REVIEW', 'RISK_APPROVED', 'RISK_REJECTED', 'SUBMITTED', 'PROCESSING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'EXPIRED'];

function stateIn(status: PaymentStatus): PaymentState {
  const p = inputs('pay-t');
  return { ...createPayment(p.create()).state, status, routedChannels: 2, capturedMinor: status === 'SUCCEEDED' ? 1_000n : 0n, sequence: 3 };
}

/** An input whose target is `to`, for a payment in the flow part of the table. */
function inputTo(to: PaymentStatus): ResultInput | undefined {
  const p = inputs('pay-t');
  const map: Partial<Record<PaymentStatus, ResultInput>> = {
    ROUTED: p.routed(),
    IN_REVIEW: p.assessed('REVIEW'),
    RISK_APPROVED: p.assessed('APPROVE'),
    RISK_REJECTED: p.assessed('DECLINE'),
    SUBMITTED: p.attempt('SENT'),
    PROCESSING: p.attempt('PENDING'),
    SUCCEEDED: p.attempt('APPROVED'),
    FAILED: p.attempt('DECLINED'),
    CANCELLED: p.cancel(),
    EXPIRED: p.expire(),
  };
  return map[to];
}

test('the table: every move between flow statuses is applied exactly when the table allows it, and refused or stale otherwise', () => {
  let applied = 0;
  let refused = 0;
  for (const from of FLOW) {
    for (const to of FLOW) {
      const input = inputTo(to);
      if (input === undefined) continue;
      const before = stateIn(from);
      const result = applyInput(before, input);
      const allowed = from !== to && (isValidMove(from, to) || (STAGE[to] > STAGE[from] && reachableFrom(from).has(to)));
      const name = `${from} -> ${to}`;
      if (to === 'SUCCEEDED' && ENDED_UNPAID.has(from)) {
        assert.equal(result.outcome, 'conflict', `${name}: a success after an unpaid end is a conflict`);
        assert.equal(result.state.status, from, `${name}: status kept`);
        continue;
      }
      if (to === 'CANCELLED' && STAGE[from] >= STAGE.SUBMITTED) {
        assert.equal(result.outcome, 'rejected', name);
        assert.match(result.reason ?? '', /^not_cancellable_in_/, name);
        refused += 1;
        continue;
      }
      if (allowed) {
        assert.equal(result.outcome, 'applied', `${name} is valid: ${result.reason}`);
        assert.equal(result.state.status, to, name);
        assert.equal(result.events.length, 1, name);
        assert.equal(result.events[0]?.previousStatus, from, name);
        applied += 1;
      } else {
        assert.notEqual(result.outcome, 'applied', `${name} is not in the table`);
        assert.equal(result.state.status, from, `${name} leaves the status`);
        assert.equal(result.events.length, 0, name);
        assert.ok(result.reason !== null && result.reason.length > 0, `${name} says why`);
        if (result.outcome === 'rejected') assert.match(result.reason ?? '', /^invalid_transition:/, name);
        refused += 1;
      }
    }
  }
  assert.ok(applied > 20 && refused > 40, `covered ${applied} valid and ${refused} refused moves`);
});

test('the table is closed: every status it names is a status, final ones lead nowhere but refunds', () => {
  for (const from of ALL) for (const to of TRANSITIONS[from]) assert.ok(ALL.includes(to), `${from} -> ${to}`);
  for (const ended of ENDED_UNPAID) assert.deepEqual(TRANSITIONS[ended], [], `${ended} is final`);
  assert.deepEqual([...reachableFrom('SUCCEEDED')].sort(), ['PARTIALLY_REFUNDED', 'REFUNDED', 'REFUND_PENDING', 'SUCCEEDED'].sort());
});

function run(start: ResultInput & { kind: 'create' }, rest: ResultInput[]): PaymentState {
  let state = createPayment(start).state;
  for (const input of rest) state = applyInput(state, input).state;
  return state;
}

test('refunds: partial, then the rest; never more than captured; a failed refund gives the amount back', () => {
  const p = inputs('pay-r', 1_000n);
  let s = run(p.create(), [p.routed(), p.assessed(), p.attempt('APPROVED')]);
  assert.equal(s.status, 'SUCCEEDED');
  assert.equal(s.capturedMinor, 1_000n);
  const over = applyInput(s, p.refund('r0', 1_001n));
  assert.equal(over.outcome, 'rejected');
  assert.equal(over.reason, 'refund_exceeds_captured');
  s = applyInput(s, p.refund('r1', 400n)).state;
  assert.equal(s.status, 'REFUND_PENDING');
  assert.equal(applyInput(s, p.refund('r2', 601n)).reason, 'refund_exceeds_captured', 'pending refunds count against what is left');
  assert.equal(applyInput(s, p.refund('r1', 400n)).outcome, 'duplicate');
  s = applyInput(s, p.refundResult('r1', true)).state;
  assert.equal(s.status, 'PARTIALLY_REFUNDED');
  s = applyInput(s, p.refund('r2', 600n)).state;
  const failed = applyInput(s, p.refundResult('r2', false));
  assert.equal(failed.state.status, 'PARTIALLY_REFUNDED');
  assert.equal(failed.events[0]?.type, 'REFUND_FAILED');
  s = applyInput(failed.state, p.refund('r3', 600n)).state;
  s = applyInput(s, p.refundResult('r3', true)).state;
  assert.equal(s.status, 'REFUNDED');
  assert.equal(s.refundedMinor, 1_000n);
  assert.equal(applyInput(s, p.refund('r4', 1n)).reason, 'not_refundable_in_refunded');
});

test('a late success after expiry is a conflict: an anomaly, a refund of what was taken, the status kept', () => {
  const p = inputs('pay-late');
  const s = run(p.create(), [p.routed(), p.assessed(), p.attempt('PENDING'), p.expire()]);
  assert.equal(s.status, 'EXPIRED');
  const late = applyInput(s, p.callback('APPROVED'));
  assert.equal(late.outcome, 'conflict');
  assert.equal(late.state.status, 'EXPIRED');
  assert.equal(late.anomalies[0]?.kind, 'LATE_SUCCESS');
  assert.equal(late.anomalies[0]?.action, 'REFUND_STARTED');
  assert.deepEqual(late.events.map((e) => e.type), ['CONFLICT', 'REFUND_REQUESTED']);
  assert.equal(late.events[1]?.refundAmountMinor, 1_000n);
  assert.equal(applyInput(late.state, p.callback('APPROVED', 'n2')).outcome, 'duplicate', 'the same success again starts no second refund');
  const refunded = applyInput(late.state, p.refundResult(late.anomalies[0]?.refundId ?? '', true));
  assert.equal(refunded.state.status, 'EXPIRED');
  assert.equal(refunded.events[0]?.type, 'REFUND_SUCCEEDED');
});

test('failover: a channel error before the last routed channel keeps the payment submitted; on the last it fails', () => {
  const p = inputs('pay-f');
  const s = run(p.create(), [p.routed(1), p.assessed('APPROVE', 1), p.attempt('FAILED', 1)]);
  assert.equal(s.status, 'SUBMITTED');
  assert.equal(applyInput(s, p.attempt('FAILED', 2)).state.status, 'FAILED');
  assert.equal(applyInput(s, p.attempt('APPROVED', 2)).state.status, 'SUCCEEDED');
});

test('no route fails the payment with no_route; a cancel after submission is refused', () => {
  const p = inputs('pay-n');
  const s = run(p.create(), [p.noRoute()]);
  assert.equal(s.status, 'FAILED');
  assert.equal(s.reason, 'no_route');
  const q = inputs('pay-c');
  const submitted = run(q.create(), [q.routed(), q.assessed(), q.attempt('SENT')]);
  assert.equal(applyInput(submitted, q.cancel()).reason, 'not_cancellable_in_submitted');
});

test('a channel amount other than ours is not taken as success: an anomaly for manual review', () => {
  const p = inputs('pay-m', 1_000n);
  const s = run(p.create(), [p.routed(), p.assessed(), p.attempt('PENDING')]);
  const odd = applyInput(s, p.callback('APPROVED', 'n1', 999n));
  assert.equal(odd.state.status, 'PROCESSING');
  assert.equal(odd.anomalies[0]?.kind, 'AMOUNT_MISMATCH');
});
