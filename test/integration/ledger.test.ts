import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../../lib/logger.ts';
import { inTransaction } from '../../lib/postgres.ts';
import { AvroCodec } from '../../schemas/codec.ts';
import { SAMPLES } from '../../schemas/samples.ts';
import type { PaymentEvent } from '../../schemas/types.ts';
import { runChecks } from '../../ops/check/check.ts';
import { LEDGER_CHECKS } from '../../streams/ledger/check.ts';
import { seededRandom } from '../../streams/runtime/testing/seeded-random.ts';
import { Scope, connectedAdmin, connectedProducer, newKafka, uniqueName } from '../helpers/kafkajs.ts';
import { startBrokerWithRegistry } from '../helpers/registry.ts';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { killed, startChild } from '../helpers/child.ts';
import { waitFor } from '../helpers/wait.ts';

const CHILD = fileURLToPath(new URL('../../streams/ledger/testing/ledger-child.ts', import.meta.url));
const EVENTS = 20_000;
const logger = createLogger({ level: 'silent' });
let scope: Scope;
let bootstrap: string;
let registryUrl: string;
let pg: TestPostgres;

before(async () => {
  scope = new Scope({ after: () => undefined });
  ({ bootstrap, registryUrl } = await startBrokerWithRegistry(scope));
  pg = await startTestPostgres();
  scope.defer('close postgres', () => pg.close());
});
after(() => scope.close());

test('the database refuses an unbalanced journal entry and any change to posted entries', async () => {
  await assert.rejects(
    inTransaction(pg.pool, async (c) => {
      await c.query("INSERT INTO ledger_journal (journal_id, source_id, kind, description) VALUES ('bad', 'bad', 'capture', 'unbalanced')");
      await c.query("INSERT INTO ledger_postings VALUES ('bad', 1, 'a', 'EUR', 'D', 100), ('bad', 2, 'b', 'EUR', 'C', 99)");
    }),
    /does not balance in EUR/,
  );
  await assert.rejects(
    inTransaction(pg.pool, async (c) => {
      await c.query("INSERT INTO ledger_journal (journal_id, source_id, kind, description) VALUES ('mixed', 'mixed', 'capture', 'balanced in sum, not per currency')");
      await c.query("INSERT INTO ledger_postings VALUES ('mixed', 1, 'a', 'EUR', 'D', 100), ('mixed', 2, 'b', 'USD', 'C', 100)");
    }),
    /does not balance/,
  );
  await inTransaction(pg.pool, async (c) => {
    await c.query("INSERT INTO ledger_journal (journal_id, source_id, kind, description) VALUES ('good', 'good', 'capture', 'balanced')");
    await c.query("INSERT INTO ledger_postings VALUES ('good', 1, 'a', 'EUR', 'D', 100), ('good', 2, 'b', 'EUR', 'C', 100)");
  });
  await assert.rejects(
    inTransaction(pg.pool, async (c) => {
      await c.query("INSERT INTO ledger_journal (journal_id, source_id, kind, description) VALUES ('split', 'split', 'capture', 'legs in two statements')");
      await c.query("INSERT INTO ledger_postings VALUES ('split', 1, 'a', 'EUR', 'D', 100)");
      await c.query("INSERT INTO ledger_postings VALUES ('split', 2, 'b', 'EUR', 'C', 100)");
    }),
    /journal entry split does not balance in EUR/,
    'an entry is checked when the statement writing its legs ends: its legs go in one statement',
  );
  await assert.rejects(pg.pool.query("INSERT INTO ledger_postings VALUES ('good', 3, 'c', 'EUR', 'D', 5)"), /journal entry good does not balance in EUR/, 'a leg added later to a posted entry is refused');
  await assert.rejects(pg.pool.query("UPDATE ledger_postings SET amount_minor = 1 WHERE journal_id = 'good'"), /append-only/);
  await assert.rejects(pg.pool.query("DELETE FROM ledger_journal WHERE journal_id = 'good'"), /append-only/);
  const { rows } = await pg.pool.query<{ account_id: string; balance_minor: string }>("SELECT account_id, balance_minor FROM ledger_balances WHERE account_id IN ('a', 'b') ORDER BY account_id");
  assert.deepEqual(rows.map((r) => [r.account_id, r.balance_minor]), [['a', '100'], ['b', '-100']], 'balances follow postings; the refused entries left nothing');
});

function start(args: string[], log: string[]) {
  return startChild(CHILD, args, { env: { LEDGER_DATABASE_URL: pg.url.reveal() }, readyMessage: 'ledger running', log });
}

test(`the ledger processor SIGKILLed at random moments during ${EVENTS} payment events: every capture posted once, ledger check clean`, { timeout: 300_000 }, async (t) => {
  const topic = uniqueName('events');
  const kafka = newKafka(bootstrap);
  await (await connectedAdmin(scope, kafka)).createTopics({ topics: [{ topic, numPartitions: 3 }] });
  const codec = new AvroCodec({ registryUrl, clientId: 'ledger-test', autoRegister: true });
  const producer = await connectedProducer(scope, kafka);
  const random = seededRandom(Number(process.env.LEDGER_KILL_SEED ?? 11));
  const prefix = uniqueName('lp');
  // A quarter of the payments are refunded in part after their capture.
  const events: PaymentEvent[] = [];
  let payments = 0;
  while (events.length < EVENTS) {
    const id = `${prefix}-${payments++}`;
    const amount = BigInt(100 + Math.floor(random() * 100_000));
    const base = { ...SAMPLES.PaymentEvent, paymentId: id, merchantId: `m${payments % 7}`, channelId: ['acq_alpha', 'acq_beta', 'wallet_a', 'wallet_b'][payments % 4] ?? 'acq_alpha', currency: payments % 9 === 0 ? 'JPY' : 'EUR', amountMinor: amount, capturedMinor: amount };
    events.push({ ...base, eventId: `${id}:6`, sequence: 6, type: 'SUCCEEDED', status: 'SUCCEEDED', refundId: null, refundAmountMinor: null });
    if (payments % 4 === 0) events.push({ ...base, eventId: `${id}:8`, sequence: 8, type: 'REFUND_SUCCEEDED', status: 'PARTIALLY_REFUNDED', refundId: `${id}-r`, refundAmountMinor: amount / 2n });
  }
  const captures = events.filter((e) => e.type === 'SUCCEEDED').length;
  for (let i = 0; i < events.length; i += 1_000) {
    const slice = events.slice(i, i + 1_000);
    await producer.send({ topic, messages: await Promise.all(slice.map(async (e) => ({ key: e.paymentId, value: await codec.encode(topic, 'PaymentEvent', e) }))) });
  }

  const log: string[] = [];
  const args = ['--bootstrap', bootstrap, '--registry', registryUrl, '--topic', topic, '--group', uniqueName('ledger')];
  let current = start(args, log);
  t.after(() => killed(current.child));
  await current.running;
  const posted = async () => (await pg.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM ledger_journal WHERE payment_id LIKE $1 AND kind = 'capture'", [`${prefix}-%`])).rows[0]?.n ?? 0;
  for (let k = 0; k < 3; k += 1) {
    const target = Math.floor(captures * (0.15 + 0.25 * k + random() * 0.1));
    let have = 0;
    await waitFor(async () => (have = await posted()) >= target, { timeoutMs: 120_000, message: () => `${target} captures before kill ${k + 1} (have ${have})` });
    await killed(current.child);
    current = start(args, log);
    await current.running;
  }
  let have = 0;
  await waitFor(async () => (have = await posted()) >= captures, { timeoutMs: 180_000, message: () => `all ${captures} captures (have ${have})` });
  const expectedRefunds = events.length - captures;
  await waitFor(async () => ((await pg.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM ledger_journal WHERE payment_id LIKE $1 AND kind = 'refund'", [`${prefix}-%`])).rows[0]?.n ?? 0) >= expectedRefunds, { timeoutMs: 60_000, message: () => 'every refund posted' });

  const perPayment = await pg.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM (SELECT payment_id FROM ledger_journal WHERE payment_id LIKE $1 AND kind = 'capture' GROUP BY payment_id HAVING count(*) <> 1) x", [`${prefix}-%`]);
  assert.equal(perPayment.rows[0]?.n, 0, 'no capture posted twice');
  assert.equal(await posted(), captures, 'none lost');
  const report = await runChecks({ pool: pg.pool, sandboxes: {}, logger }, LEDGER_CHECKS);
  assert.ok(report.ok, report.report);
});
