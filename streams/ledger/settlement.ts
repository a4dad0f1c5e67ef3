/**
 * Settlement to merchants. Once a business day has ended (T+1 by default), each merchant's
 * payable balance per currency from activity up to the end of that day, less what earlier
 * payouts already took, becomes a payout: one per merchant, currency and business date (a second
 * run of the date creates nothing), posted merchant payable → payouts in transit. The dispatcher
 * then pays it through the bank: paid → in transit → bank; refused for good, or unavailable past
 * the attempt budget → failed, and the entry is reversed (in transit → merchant payable). An answer
 * that may or may not have paid (timeout) leaves the payout `sent`, and the bank is asked before it
 * is sent again, so a payout is never paid twice.
 */
import { Cron } from 'croner';
import type { Logger } from '../../lib/logger.ts';
import { inTransaction, type Pool, type PoolClient } from '../../lib/postgres.ts';
import type { BankClient } from '../../connectors/bank/client.ts';
import { accounts, type JournalEntry } from './postings.ts';
import { postAll } from './store.ts';
import { PAYOUT_ATTEMPTS_MAX, PAYOUT_BATCH_MAX, PAYOUT_CLAIM_MS, PAYOUT_DISPATCH_INTERVAL_MS, PAYOUT_RETRY_FIRST_MS, PAYOUT_RETRY_MAX_MS, SETTLEMENT_DELAY_DAYS, SETTLEMENT_SCHEDULE } from './limits.ts';
import { PaystreamError } from '../../lib/errors.ts';

const DAY_MS = 86_400_000;
const PAYOUT_KINDS = ['payout', 'payout_reversal'];

export type PayoutState = 'pending' | 'retrying' | 'sent' | 'paid' | 'failed';

export interface Payout {
  payoutId: string;
  merchantId: string;
  currency: string;
  businessDate: string;
  amountMinor: bigint;
  state: PayoutState;
  attempts: number;
  lastError: string | null;
  bankReference: string | null;
}

export class SettlementError extends PaystreamError<'settlement_date_open' | 'settlement_date_invalid'> {}

/** The business date a run at `nowMs` settles: SETTLEMENT_DELAY_DAYS before today (UTC). */
export function dueBusinessDate(nowMs: number): string {
  return new Date(Math.floor(nowMs / DAY_MS) * DAY_MS - SETTLEMENT_DELAY_DAYS * DAY_MS).toISOString().slice(0, 10);
}

interface PayoutRow {
  payout_id: string;
  merchant_id: string;
  currency: string;
  business_date: string;
  amount_minor: string;
  state: PayoutState;
  attempts: number;
  last_error: string | null;
  bank_reference: string | null;
}

function toPayout(r: PayoutRow): Payout {
  return { payoutId: r.payout_id, merchantId: r.merchant_id, currency: r.currency, businessDate: r.business_date, amountMinor: BigInt(r.amount_minor), state: r.state, attempts: r.attempts, lastError: r.last_error, bankReference: r.bank_reference };
}

const COLUMNS = "payout_id, merchant_id, currency, to_char(business_date, 'YYYY-MM-DD') AS business_date, amount_minor::text AS amount_minor, state, attempts, last_error, bank_reference";

function entry(p: Pick<Payout, 'payoutId' | 'merchantId' | 'currency' | 'amountMinor'>, kind: 'payout' | 'payout_paid' | 'payout_reversal', description: string, debit: string, credit: string): JournalEntry {
  const id = `${p.payoutId}:${kind}`;
  return { journalId: id, sourceId: id, paymentId: p.payoutId, kind, description, legs: [{ accountId: debit, direction: 'D', amountMinor: p.amountMinor, currency: p.currency }, { accountId: credit, direction: 'C', amountMinor: p.amountMinor, currency: p.currency }] };
}

/** Creates the payouts of `businessDate` (YYYY-MM-DD, a day that has ended); returns those created now. */
export async function settle(pool: Pool, businessDate: string, nowMs: number): Promise<Payout[]> {
  const startMs = Date.parse(`${businessDate}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(businessDate) || Number.isNaN(startMs)) throw new SettlementError('settlement_date_invalid', `business date ${businessDate} is not YYYY-MM-DD`);
  const cutoffMs = startMs + DAY_MS;
  if (cutoffMs > nowMs) throw new SettlementError('settlement_date_open', `business date ${businessDate} has not ended yet`);
  return inTransaction(pool, async (client) => {
    // Two schedulers (or an operator and a scheduler) never settle the same balances at once.
    await client.query("SELECT pg_advisory_xact_lock(hashtextextended('paystream-settlement', 0))");
    const { rows } = await client.query<{ account_id: string; currency: string; owed: string }>(
      `SELECT p.account_id, p.currency, (-sum(CASE WHEN p.direction = 'D' THEN p.amount_minor ELSE -p.amount_minor END))::text AS owed
         FROM ledger_postings p JOIN ledger_journal j USING (journal_id)
        WHERE p.account_id LIKE 'merchant:%:payable' AND (j.posted_at < $1 OR j.kind = ANY($2::text[]))
        GROUP BY p.account_id, p.currency
       HAVING -sum(CASE WHEN p.direction = 'D' THEN p.amount_minor ELSE -p.amount_minor END) > 0
        ORDER BY p.account_id, p.currency`,
      [new Date(cutoffMs), PAYOUT_KINDS],
    );
    const created: Payout[] = [];
    for (const r of rows) {
      const merchantId = r.account_id.slice('merchant:'.length, -':payable'.length);
      const payoutId = `po_${businessDate.replaceAll('-', '')}_${merchantId}_${r.currency.trim()}`;
      const { rows: inserted } = await client.query<PayoutRow>(
        `INSERT INTO ledger_payouts (payout_id, merchant_id, currency, business_date, amount_minor, state, next_attempt_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, 'pending', $6, $6, $6) ON CONFLICT DO NOTHING RETURNING ${COLUMNS}`,
        [payoutId, merchantId, r.currency, businessDate, r.owed, new Date(nowMs)],
      );
      const row = inserted[0];
      if (row !== undefined) created.push(toPayout(row));
    }
    await postAll(client, created.map((p) => entry(p, 'payout', `payout ${p.payoutId} of ${p.businessDate} to ${p.merchantId}`, accounts.merchantPayable(p.merchantId), accounts.payoutsInTransit)));
    return created;
  });
}

async function finish(pool: Pool, p: Payout, outcome: { state: 'paid'; reference: string } | { state: 'failed'; reason: string }, nowMs: number): Promise<void> {
  await inTransaction(pool, async (client: PoolClient) => {
    const { rowCount } = await client.query(
      "UPDATE ledger_payouts SET state = $2, bank_reference = $3, last_error = $4, updated_at = $5 WHERE payout_id = $1 AND state IN ('pending', 'retrying', 'sent')",
      [p.payoutId, outcome.state, outcome.state === 'paid' ? outcome.reference : null, outcome.state === 'failed' ? outcome.reason : p.lastError, new Date(nowMs)],
    );
    if (rowCount !== 1) return;
    if (outcome.state === 'paid') await postAll(client, [entry(p, 'payout_paid', `payout ${p.payoutId} paid by the bank (${outcome.reference})`, accounts.payoutsInTransit, accounts.bank)]);
    else await postAll(client, [entry(p, 'payout_reversal', `payout ${p.payoutId} failed: ${outcome.reason}`, accounts.payoutsInTransit, accounts.merchantPayable(p.merchantId))]);
  });
}

async function reschedule(pool: Pool, p: Payout, state: 'retrying' | 'sent', reason: string, nowMs: number): Promise<void> {
  const attempts = p.attempts + 1;
  const delayMs = Math.min(PAYOUT_RETRY_MAX_MS, PAYOUT_RETRY_FIRST_MS * 2 ** (attempts - 1));
  await pool.query("UPDATE ledger_payouts SET state = $2, attempts = $3, last_error = $4, next_attempt_at = $5, updated_at = $6 WHERE payout_id = $1 AND state IN ('pending', 'retrying', 'sent')", [p.payoutId, state, attempts, reason, new Date(nowMs + delayMs), new Date(nowMs)]);
}

/** Sends (or asks about) every payout that is due; returns how many it handled. */
export async function dispatchPayouts(pool: Pool, bank: BankClient, nowMs: () => number, logger: Logger): Promise<number> {
  // Claimed by pushing their next attempt out: a second dispatcher skips them meanwhile.
  const { rows } = await pool.query<PayoutRow>(
    `UPDATE ledger_payouts SET next_attempt_at = $2 WHERE payout_id IN (
       SELECT payout_id FROM ledger_payouts WHERE state IN ('pending', 'retrying', 'sent') AND next_attempt_at <= $1 ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED
     ) RETURNING ${COLUMNS}`,
    [new Date(nowMs()), new Date(nowMs() + PAYOUT_CLAIM_MS), PAYOUT_BATCH_MAX],
  );
  for (const p of rows.map(toPayout)) {
    const log = logger.child({ payoutId: p.payoutId, merchantId: p.merchantId });
    if (p.state === 'sent') {
      // The last send may have paid: ask before anything else.
      const status = await bank.status(p.payoutId);
      if (status.kind === 'paid') {
        await finish(pool, p, { state: 'paid', reference: status.reference }, nowMs());
        log.info({ reference: status.reference }, 'payout paid (found by asking the bank)');
        continue;
      }
      if (status.kind !== 'not_found') {
        await reschedule(pool, p, 'sent', `status unknown: ${status.reason}`, nowMs());
        continue;
      }
    }
    const result = await bank.pay({ payoutId: p.payoutId, merchantId: p.merchantId, currency: p.currency, amountMinor: p.amountMinor.toString() });
    switch (result.kind) {
      case 'paid':
        await finish(pool, p, { state: 'paid', reference: result.reference }, nowMs());
        log.info({ reference: result.reference, amountMinor: p.amountMinor.toString(), currency: p.currency }, 'payout paid');
        break;
      case 'refused':
        await finish(pool, p, { state: 'failed', reason: result.reason }, nowMs());
        log.warn({ reason: result.reason }, 'payout refused by the bank: failed and reversed to the merchant payable');
        break;
      case 'unavailable':
        if (p.attempts + 1 >= PAYOUT_ATTEMPTS_MAX) {
          await finish(pool, p, { state: 'failed', reason: `bank unavailable after ${p.attempts + 1} attempts: ${result.reason}` }, nowMs());
          log.error({ reason: result.reason }, 'payout failed after every attempt: reversed to the merchant payable');
        } else {
          await reschedule(pool, p, 'retrying', result.reason, nowMs());
        }
        break;
      case 'unknown':
        await reschedule(pool, p, 'sent', result.reason, nowMs());
        log.warn({ reason: result.reason }, 'payout outcome unknown: the bank is asked before it is sent again');
        break;
      default: {
        const unreachable: never = result;
        throw new Error(`unknown pay result ${JSON.stringify(unreachable)}`);
      }
    }
  }
  return rows.length;
}

export async function listPayouts(pool: Pool, filter: { merchantId?: string; limit: number }): Promise<Payout[]> {
  const { rows } = await pool.query<PayoutRow>(`SELECT ${COLUMNS} FROM ledger_payouts WHERE ($1::text IS NULL OR merchant_id = $1) ORDER BY business_date DESC, payout_id LIMIT $2`, [filter.merchantId ?? null, filter.limit]);
  return rows.map(toPayout);
}

/** The daily settlement and the payout dispatcher, for as long as the ledger role runs. */
export function startSettlement(options: { pool: Pool; bank: BankClient; logger: Logger; nowMs?: () => number; schedule?: string; dispatchIntervalMs?: number }): { stop(): Promise<void> } {
  const nowMs = options.nowMs ?? (() => Date.now());
  const log = options.logger.child({ component: 'settlement' });
  const job = new Cron(options.schedule ?? SETTLEMENT_SCHEDULE, { protect: true, timezone: 'UTC' }, async () => {
    const date = dueBusinessDate(nowMs());
    try {
      const created = await settle(options.pool, date, nowMs());
      log.info({ businessDate: date, payouts: created.length }, 'settlement run');
    } catch (err) {
      log.error({ err, businessDate: date }, 'settlement run failed; the next run settles what it left');
    }
  });
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(() => dispatchPayouts(options.pool, options.bank, nowMs, log)).catch((err: unknown) => log.error({ err }, 'payout dispatch failed; retried next round'));
  }, options.dispatchIntervalMs ?? PAYOUT_DISPATCH_INTERVAL_MS);
  timer.unref();
  return {
    async stop() {
      job.stop();
      clearInterval(timer);
      await running;
    },
  };
}
