import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { inTransaction } from '../../lib/postgres.ts';
import type { PaymentEvent, PaymentStatus } from '../../schemas/types.ts';
import { startTestPostgres, type TestPostgres } from '../../test/helpers/postgres.ts';
import { seededRandom } from '../runtime/testing/seeded-random.ts';
import { handleInput, type Handled } from './handle.ts';
import type { ResultInput } from './state.ts';
import { inputs } from './testing/inputs.ts';

const TOPICS = { events: 'payments.events', anomalies: 'payments.anomalies' };
let pg: TestPostgres;

before(async () => {
  pg = await startTestPostgres();
});
after(() => pg.close());

async function feed(input: ResultInput, source: string): Promise<Handled> {
  return inTransaction(pg.pool, (client) => handleInput(client, input, source, TOPICS));
}

async function finalStatus(paymentId: string): Promise<{ status: PaymentStatus; version: number; captured: string } | undefined> {
  const { rows } = await pg.pool.query<{ status: PaymentStatus; version: number; captured_minor: string }>('SELECT status, version, captured_minor FROM payments WHERE payment_id = $1', [paymentId]);
  const row = rows[0];
  return row === undefined ? undefined : { status: row.status, version: row.version, captured: row.captured_minor };
}

type Scenario = (id: string) => ResultInput[];

/** Each payment's facts as the flow produces them, duplicates included. */
const SCENARIOS: Record<string, Scenario> = {
  card_success: (id) => {
    const p = inputs(id);
    const approved = p.attempt('APPROVED');
    return [p.create(), p.routed(), p.assessed(), approved, { ...approved }];
  },
  wallet_callbacks: (id) => {
    const p = inputs(id);
    const callback = p.callback('APPROVED');
    return [p.create(), p.routed(), p.assessed(), p.attempt('PENDING'), callback, { ...callback }, { ...callback }];
  },
  failover: (id) => {
    const p = inputs(id);
    return [p.create(), p.routed(1), p.assessed('APPROVE', 1), p.attempt('FAILED', 1), p.attempt('APPROVED', 2)];
  },
  declined: (id) => {
    const p = inputs(id);
    return [p.create(), p.routed(), p.assessed(), p.attempt('DECLINED')];
  },
  reviewed: (id) => {
    const p = inputs(id);
    return [p.create(), p.routed(), p.assessed('REVIEW'), p.assessed('APPROVE'), p.attempt('APPROVED')];
  },
  rejected: (id) => {
    const p = inputs(id);
    return [p.create(), p.routed(), p.assessed('DECLINE')];
  },
};

function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

test('duplicate and reordered inputs end in the same state as the ordered stream, with gap-free events (seeded property test)', async () => {
  const random = seededRandom(Number(process.env.RESULT_ORDER_SEED ?? 20261122));
  for (const [name, scenario] of Object.entries(SCENARIOS)) {
    const ordered = `ord-${name}`;
    let offset = 0;
    for (const input of scenario(ordered)) await feed(input, `t/0/${offset++}`);
    const expected = await finalStatus(ordered);
    assert.ok(expected !== undefined, name);
    for (let round = 0; round < 12; round += 1) {
      const id = `shuf-${name}-${round}`;
      const events: PaymentEvent[] = [];
      for (const input of shuffle(scenario(id), random)) {
        const handled = await feed(input, `t/0/${offset++}`);
        events.push(...handled.outputs.filter((o) => o.topic === TOPICS.events).map((o) => o.value as PaymentEvent));
      }
      const got = await finalStatus(id);
      assert.equal(got?.status, expected.status, `${name} round ${round}`);
      assert.equal(got?.captured, expected.captured, `${name} round ${round} captured`);
      assert.deepEqual(events.map((e) => e.sequence), events.map((_, i) => i + 1), `${name} round ${round}: sequences 1..n without gaps or repeats`);
      assert.equal(got?.version, events.length, `${name} round ${round}: the version counts the events`);
      assert.equal(new Set(events.map((e) => e.eventId)).size, events.length);
    }
  }
});

test('a record handled again after its Kafka transaction aborted gets the same events back; another record with the same fact gets none', async () => {
  const p = inputs('pay-replay');
  const first = await feed(p.create(), 'c/0/1');
  const again = await feed(p.create(), 'c/0/1');
  assert.deepEqual(again.outputs, first.outputs, 'same source offset: the stored records');
  assert.equal(again.fresh.length, 0, 'not counted twice');
  const dup = await feed(p.create(), 'c/0/2');
  assert.deepEqual(dup.outputs, [], 'the same command in another record: nothing');
  assert.equal(dup.fresh[0]?.outcome, 'duplicate');
});

test('facts about a payment not created yet are parked and applied in flow order when it is', async () => {
  const p = inputs('pay-park');
  const attempt = await feed(p.attempt('APPROVED'), 'a/0/1');
  assert.equal(attempt.fresh[0]?.outcome, 'parked');
  await feed(p.assessed(), 's/0/1');
  await feed(p.routed(), 'r/0/1');
  const created = await feed(p.create(), 'c/0/9');
  const types = created.outputs.map((o) => (o.value as PaymentEvent).type);
  assert.deepEqual(types, ['CREATED', 'ROUTED', 'RISK_APPROVED', 'SUCCEEDED']);
  assert.equal((await finalStatus('pay-park'))?.status, 'SUCCEEDED');
  const { rows } = await pg.pool.query('SELECT count(*)::int AS n FROM result_parked_inputs WHERE payment_id = $1', ['pay-park']);
  assert.equal(rows[0]?.n, 0);
});

test('a late success after expiry is recorded as an anomaly with a refund, and the read model keeps the history', async () => {
  const p = inputs('pay-exp');
  for (const [i, input] of [p.create(), p.routed(), p.assessed(), p.attempt('PENDING'), p.expire()].entries()) await feed(input, `x/0/${i}`);
  const late = await feed(p.callback('APPROVED'), 'n/0/1');
  assert.deepEqual(late.outputs.map((o) => o.topic), [TOPICS.anomalies, TOPICS.events, TOPICS.events]);
  assert.equal((await finalStatus('pay-exp'))?.status, 'EXPIRED');
  const anomalies = await pg.pool.query('SELECT kind, action FROM payment_anomalies WHERE payment_id = $1', ['pay-exp']);
  assert.deepEqual(anomalies.rows, [{ kind: 'LATE_SUCCESS', action: 'REFUND_STARTED' }]);
  const history = await pg.pool.query<{ to_status: string }>('SELECT to_status FROM payment_status_history WHERE payment_id = $1 ORDER BY sequence', ['pay-exp']);
  assert.deepEqual(history.rows.map((r) => r.to_status), ['CREATED', 'ROUTED', 'RISK_APPROVED', 'PROCESSING', 'EXPIRED', 'EXPIRED', 'EXPIRED']);
  const refunds = await pg.pool.query('SELECT status, conflict FROM payment_refunds WHERE payment_id = $1', ['pay-exp']);
  assert.deepEqual(refunds.rows, [{ status: 'PENDING', conflict: true }]);
});

test('two handlers of one payment at once: one wins, the other is refused with a retriable conflict and applies on retry', async () => {
  const p = inputs('pay-race');
  await feed(p.create(), 'c/0/1');
  const results = await Promise.allSettled([feed(p.routed(), 'r/0/1'), feed(p.assessed(), 's/0/1')]);
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  for (const f of failed) assert.equal((f.reason as { retriable?: boolean }).retriable ?? (f.reason as { code?: string }).code === '23505', true, String(f.reason));
  if (failed.length > 0) await feed(p.assessed(), 's/0/1').catch(() => feed(p.routed(), 'r/0/1'));
  const state = await finalStatus('pay-race');
  assert.equal(state?.status, 'RISK_APPROVED');
});

test('paystream payments show tells a payment\'s whole story from the read model', async () => {
  const { describePayment } = await import('../../ops/cli/payments.ts');
  const text = await describePayment(pg.pool, 'pay-exp');
  assert.match(text, /payment pay-exp {2}EXPIRED \(unpaid_timeout\)/);
  assert.match(text, /PROCESSING -> EXPIRED/);
  assert.match(text, /CONFLICT/);
  assert.match(text, /attempt:|pay-exp:1 {2}acq_alpha {2}PENDING/);
  assert.match(text, /channel_result {2}notification:wallet_a:pay-exp-n1/);
  assert.match(text, /LATE_SUCCESS {2}REFUND_STARTED/);
  assert.match(text, /trace id a{32}/);
  await assert.rejects(describePayment(pg.pool, 'no-such-payment'), /no payment no-such-payment/);
});
