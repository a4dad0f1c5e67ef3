/**
 * `paystream ledger check` and the ledger part of `paystream check`: every journal entry balanced
 * per currency, every balance equal to the sum of its postings, and every payment the read model
 * shows captured posted exactly once (one capture entry, with its channel fee when the channel
 * charges one), and the payouts in transit equal the payouts not yet paid or failed.
 */
import type { Check, CheckResult } from '../../ops/check/check.ts';

function result(name: string, scope: string, offenders: string[]): CheckResult {
  return { name, ok: offenders.length === 0, scope, offenders: offenders.length, examples: offenders.slice(0, 10) };
}

export const journalsBalanced: Check = async ({ pool }) => {
  const { rows } = await pool.query<{ journal_id: string; currency: string; diff: string }>(
    `SELECT journal_id, currency, sum(CASE WHEN direction = 'D' THEN amount_minor ELSE -amount_minor END)::text AS diff
       FROM ledger_postings GROUP BY journal_id, currency HAVING sum(CASE WHEN direction = 'D' THEN amount_minor ELSE -amount_minor END) <> 0`,
  );
  const { rows: count } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM ledger_journal');
  return result('every journal entry balances per currency', `${count[0]?.n ?? 0} entries`, rows.map((r) => `${r.journal_id}: ${r.diff} ${r.currency} off`));
};

export const balancesMatchPostings: Check = async ({ pool }) => {
  const { rows } = await pool.query<{ account_id: string; currency: string; balance: string; postings: string }>(
    `SELECT b.account_id, b.currency, b.balance_minor::text AS balance, COALESCE(p.total, 0)::text AS postings
       FROM ledger_balances b LEFT JOIN (
         SELECT account_id, currency, sum(CASE WHEN direction = 'D' THEN amount_minor ELSE -amount_minor END) AS total FROM ledger_postings GROUP BY account_id, currency
       ) p USING (account_id, currency)
      WHERE b.balance_minor <> COALESCE(p.total, 0)`,
  );
  const { rows: count } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM ledger_balances');
  return result('every balance equals the sum of its postings', `${count[0]?.n ?? 0} balances`, rows.map((r) => `${r.account_id} ${r.currency}: balance ${r.balance}, postings ${r.postings}`));
};

export const capturesPostedOnce: Check = async ({ pool }) => {
  const { rows } = await pool.query<{ payment_id: string; status: string; captures: number; fees: number; channel_id: string | null }>(
    `SELECT p.payment_id, p.status, p.channel_id,
            (SELECT count(*)::int FROM ledger_journal j WHERE j.payment_id = p.payment_id AND j.kind = 'capture') AS captures,
            (SELECT count(*)::int FROM ledger_journal j WHERE j.payment_id = p.payment_id AND j.kind = 'channel_fee') AS fees
       FROM payments p WHERE p.captured_minor > 0 OR EXISTS (SELECT 1 FROM ledger_journal j WHERE j.payment_id = p.payment_id AND j.kind = 'capture')`,
  );
  const offenders: string[] = [];
  for (const r of rows) {
    if (r.captures !== 1) offenders.push(`${r.payment_id} (${r.status}): ${r.captures} capture entries`);
    else if (r.fees > 1) offenders.push(`${r.payment_id}: ${r.fees} channel fee entries`);
  }
  return result('every captured payment is posted exactly once, with its fees', `${rows.length} captured payments`, offenders);
};

export const payoutsInTransitMatch: Check = async ({ pool }) => {
  // In transit is credited when a payout is created and debited when it is paid or reversed.
  const { rows } = await pool.query<{ currency: string; in_transit: string; open: string }>(
    `SELECT currency, COALESCE(-b.balance_minor, 0)::text AS in_transit, COALESCE(o.total, 0)::text AS open
       FROM (SELECT currency, balance_minor FROM ledger_balances WHERE account_id = 'clearing:payouts_in_transit') b
       FULL JOIN (SELECT currency, sum(amount_minor) AS total FROM ledger_payouts WHERE state IN ('pending', 'retrying', 'sent') GROUP BY currency) o USING (currency)
      WHERE COALESCE(-b.balance_minor, 0) <> COALESCE(o.total, 0)`,
  );
  const { rows: count } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM ledger_payouts');
  return result('payouts in transit equal the payouts not yet paid or failed', `${count[0]?.n ?? 0} payouts`, rows.map((r) => `${r.currency}: in transit ${r.in_transit}, open payouts ${r.open}`));
};

export const LEDGER_CHECKS: readonly Check[] = [journalsBalanced, balancesMatchPostings, capturesPostedOnce, payoutsInTransitMatch];
