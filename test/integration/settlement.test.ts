import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../lib/logger.ts';
import { inTransaction } from '../../lib/postgres.ts';
import { Secret } from '../../lib/secret.ts';
import { BankClient } from '../../connectors/bank/client.ts';
import { startSandboxBank, type SandboxBank } from '../../connectors/bank/sandbox.ts';
import { accounts } from '../../streams/ledger/postings.ts';
import { LEDGER_CHECKS } from '../../streams/ledger/check.ts';
import { dispatchPayouts, dueBusinessDate, listPayouts, settle } from '../../streams/ledger/settlement.ts';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.ts';

const logger = createLogger({ level: 'silent' });
const DAY_MS = 86_400_000;
let pg: TestPostgres;
let bank: SandboxBank;
let client: BankClient;

before(async () => {
  pg = await startTestPostgres();
  bank = await startSandboxBank({ secret: new Secret('bank-test-secret'), seed: 3 });
  client = new BankClient({ url: bank.url, secret: bank.secret, timeoutMs: 150 });
});
after(async () => {
  await bank.close();
  await pg.close();
});

let n = 0;
/** A posting the capture processor would make (channel receivable → merchant payable), at a chosen time. */
async function captured(merchantId: string, currency: string, amountMinor: bigint, postedAt: Date): Promise<void> {
  n += 1;
  const id = `test-capture-${n}`;
  await inTransaction(pg.pool, async (c) => {
    await c.query("INSERT INTO ledger_journal (journal_id, source_id, payment_id, kind, description, posted_at) VALUES ($1, $1, $1, 'capture', 'test', $2)", [id, postedAt]);
    await c.query("INSERT INTO ledger_postings VALUES ($1, 1, 'channel:acq_alpha:receivable', $2, 'D', $3), ($1, 2, $4, $2, 'C', $3)", [id, currency, amountMinor.toString(), accounts.merchantPayable(merchantId)]);
  });
}

async function refunded(merchantId: string, currency: string, amountMinor: bigint, postedAt: Date): Promise<void> {
  n += 1;
  const id = `test-refund-${n}`;
  await inTransaction(pg.pool, async (c) => {
    await c.query("INSERT INTO ledger_journal (journal_id, source_id, payment_id, kind, description, posted_at) VALUES ($1, $1, $1, 'refund', 'test', $2)", [id, postedAt]);
    await c.query("INSERT INTO ledger_postings VALUES ($1, 1, $4, $2, 'D', $3), ($1, 2, 'channel:acq_alpha:receivable', $2, 'C', $3)", [id, currency, amountMinor.toString(), accounts.merchantPayable(merchantId)]);
  });
}

async function balance(account: string, currency: string): Promise<bigint> {
  const { rows } = await pg.pool.query<{ b: string }>('SELECT balance_minor::text AS b FROM ledger_balances WHERE account_id = $1 AND currency = $2', [account, currency]);
  return BigInt(rows[0]?.b ?? '0');
}

async function ledgerClean(): Promise<void> {
  for (const check of LEDGER_CHECKS) {
    const r = await check({ pool: pg.pool, logger, sandboxes: {} });
    assert.ok(r.ok, `${r.name}: ${r.examples.join('; ')}`);
  }
}

/** Dispatch rounds with the clock moved an hour each time, so every backoff has passed. */
async function dispatchUntilSettled(merchants: readonly string[], rounds = 40): Promise<void> {
  for (let i = 1; i <= rounds; i += 1) {
    await dispatchPayouts(pg.pool, client, () => Date.now() + i * 3_600_000, logger);
    const open = (await listPayouts(pg.pool, { limit: 1_000 })).filter((p) => merchants.includes(p.merchantId) && p.state !== 'paid' && p.state !== 'failed');
    if (open.length === 0) return;
  }
  assert.fail('payouts still open after every dispatch round');
}

const yesterday = dueBusinessDate(Date.now());
const yesterdayNoon = new Date(Date.parse(`${yesterday}T12:00:00Z`));

test('a business day settles each merchant payable per currency into one payout; a second run of the day creates nothing; paid once', async () => {
  await captured('m1', 'EUR', 10_000n, yesterdayNoon);
  await refunded('m1', 'EUR', 2_500n, yesterdayNoon);
  await captured('m2', 'JPY', 500n, yesterdayNoon);
  // After the day's end: tomorrow's payout, not this one.
  await captured('m1', 'EUR', 7_000n, new Date());
  const created = await settle(pg.pool, yesterday, Date.now());
  assert.deepEqual(created.map((p) => [p.merchantId, p.currency, p.amountMinor, p.state]), [['m1', 'EUR', 7_500n, 'pending'], ['m2', 'JPY', 500n, 'pending']]);
  assert.deepEqual(await settle(pg.pool, yesterday, Date.now()), [], 'the same day settled again creates nothing');
  assert.equal(await balance(accounts.merchantPayable('m1'), 'EUR'), -7_000n, 'what was posted after the day stays payable');
  assert.equal(await balance(accounts.payoutsInTransit, 'EUR'), -7_500n);

  await dispatchUntilSettled(['m1', 'm2']);
  const payouts = await listPayouts(pg.pool, { limit: 10 });
  assert.ok(payouts.filter((p) => ['m1', 'm2'].includes(p.merchantId)).every((p) => p.state === 'paid' && p.bankReference !== null));
  assert.equal(bank.journal.get(created[0]?.payoutId ?? '')?.amountMinor, 7_500n);
  assert.equal(await balance(accounts.payoutsInTransit, 'EUR'), 0n);
  assert.equal(await balance(accounts.bank, 'JPY'), -500n);
  await assert.rejects(settle(pg.pool, new Date().toISOString().slice(0, 10), Date.now()), /has not ended yet/);
  await ledgerClean();
});

test('bank errors and timeouts are retried until paid, and no payout is paid twice', async () => {
  const merchants = Array.from({ length: 12 }, (_, i) => `flaky${i}`);
  for (const [i, m] of merchants.entries()) await captured(m, 'EUR', BigInt(1_000 + i), yesterdayNoon);
  const created = await settle(pg.pool, yesterday, Date.now());
  assert.equal(created.length, merchants.length);
  bank.setBehaviour({ failRate: 0.4, timeoutRate: 0.4, timeoutHoldMs: 400 });
  try {
    await dispatchUntilSettled(merchants);
  } finally {
    bank.setBehaviour({ failRate: 0, timeoutRate: 0 });
  }
  const payouts = (await listPayouts(pg.pool, { limit: 1_000 })).filter((p) => merchants.includes(p.merchantId));
  assert.ok(payouts.every((p) => p.state === 'paid'), JSON.stringify(payouts.map((p) => [p.merchantId, p.state, p.lastError])));
  assert.ok(payouts.some((p) => p.attempts > 0), 'some payouts needed more than one try');
  for (const p of payouts) assert.equal(bank.journal.get(p.payoutId)?.amountMinor, p.amountMinor, `${p.payoutId} paid once, in full`);
  assert.ok(bank.statusQueries() > 0, 'payouts whose answer was lost were asked about before anything else');
  await ledgerClean();
});

test('a payout the bank refuses fails and is reversed: the merchant payable is restored', async () => {
  await captured('closed1', 'EUR', 4_200n, yesterdayNoon);
  const [p] = await settle(pg.pool, yesterday, Date.now());
  assert.equal(p?.merchantId, 'closed1');
  bank.setBehaviour({ rejectMerchants: ['closed1'] });
  try {
    await dispatchUntilSettled(['closed1']);
  } finally {
    bank.setBehaviour({ rejectMerchants: [] });
  }
  const [failed] = (await listPayouts(pg.pool, { merchantId: 'closed1', limit: 5 }));
  assert.equal(failed?.state, 'failed');
  assert.match(failed?.lastError ?? '', /invalid_account/);
  assert.equal(bank.journal.has(p?.payoutId ?? ''), false);
  assert.equal(await balance(accounts.merchantPayable('closed1'), 'EUR'), -4_200n, 'the money is owed to the merchant again');
  // The next day's run pays it out again, as a new payout.
  const next = await settle(pg.pool, dueBusinessDate(Date.now() + DAY_MS), Date.now() + DAY_MS);
  assert.deepEqual(next.filter((x) => x.merchantId === 'closed1').map((x) => x.amountMinor), [4_200n]);
  await ledgerClean();
});

test('two settlement runs of the same day at once create each payout once', async () => {
  await captured('twice', 'EUR', 999n, yesterdayNoon);
  const runs = await Promise.all([settle(pg.pool, yesterday, Date.now()), settle(pg.pool, yesterday, Date.now())]);
  assert.equal(runs.flat().filter((p) => p.merchantId === 'twice').length, 1);
  const { rows } = await pg.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM ledger_journal WHERE kind = 'payout' AND payment_id LIKE '%_twice_%'");
  assert.equal(rows[0]?.n, 1);
  await ledgerClean();
});
