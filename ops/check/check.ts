/**
 * `paystream check`: the pipeline's invariants over everything stored. Each check names what it
 * verified and lists offenders (at most CHECK_EXAMPLES_MAX each); the run is clean only when every
 * check is. A check whose data is missing (a table not migrated, a sandbox not reachable) fails:
 * an invariant that cannot be verified is not verified.
 */
import type { Logger } from '../../lib/logger.ts';
import type { Pool } from '../../lib/postgres.ts';
import type { Endpoints } from '../embedded/launcher.ts';
import { doubleCharges, readJournals } from './journals.ts';
import { LEDGER_CHECKS } from '../../streams/ledger/check.ts';

/** Offenders listed per failed check; the count is always complete. */
export const CHECK_EXAMPLES_MAX = 10;

export interface CheckResult {
  name: string;
  ok: boolean;
  /** What was verified, e.g. "10000 payments". */
  scope: string;
  offenders: number;
  examples: string[];
}

export interface CheckReport {
  ok: boolean;
  checks: CheckResult[];
  report: string;
}

export interface CheckContext {
  pool: Pool;
  /** Admin base URLs of the sandbox acquirers, by channel id; their journals are the ground truth. */
  sandboxes: Readonly<Record<string, string>>;
  logger: Logger;
}

export type Check = (ctx: CheckContext) => Promise<CheckResult>;

function result(name: string, scope: string, offenders: string[]): CheckResult {
  return { name, ok: offenders.length === 0, scope, offenders: offenders.length, examples: offenders.slice(0, CHECK_EXAMPLES_MAX) };
}

/** No channel approved one payment twice: across attempts, retries, failovers and restarts. */
export const noDoubleCharge: Check = async (ctx) => {
  const journal = await readJournals(ctx.sandboxes);
  const doubles = doubleCharges(journal);
  return result('no payment charged twice (sandbox journals)', `${journal.length} channel payments on ${Object.keys(ctx.sandboxes).length} channels`, [...doubles].map(([id, list]) => `${id}: approved by ${list.map((p) => `${p.channelId}/${p.requestId}`).join(', ')}`));
};

const OUTCOMES = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'EXPIRED', 'RISK_REJECTED'];
const AFTER_SUCCESS = ['REFUND_PENDING', 'PARTIALLY_REFUNDED', 'REFUNDED'];

/**
 * Every payment the API accepted reached exactly one outcome (refund states come after success);
 * one held for review is waiting for an operator, which is a reason, not a loss.
 */
export const everyPaymentDecided: Check = async (ctx) => {
  const { rows } = await ctx.pool.query<{ payment_id: string; status: string | null; outcomes: number; updated_at: Date | null }>(
    `SELECT a.payment_id, p.status, p.updated_at,
            (SELECT count(*)::int FROM payment_status_history h WHERE h.payment_id = a.payment_id AND h.to_status = ANY($1) AND (h.from_status IS NULL OR NOT h.from_status = ANY($1))) AS outcomes
       FROM accepted_payments a LEFT JOIN payments p ON p.payment_id = a.payment_id`,
    [OUTCOMES],
  );
  const offenders: string[] = [];
  for (const r of rows) {
    if (r.status === null) offenders.push(`${r.payment_id}: accepted but never applied by the result processor`);
    else if (r.status === 'IN_REVIEW') continue;
    else if (!OUTCOMES.includes(r.status) && !AFTER_SUCCESS.includes(r.status)) offenders.push(`${r.payment_id}: still ${r.status} (since ${r.updated_at?.toISOString() ?? '?'})`);
    else if (r.outcomes !== 1) offenders.push(`${r.payment_id}: ${r.outcomes} outcomes in its history`);
  }
  return result('every accepted payment reached exactly one final status', `${rows.length} payments`, offenders);
};

/** Our outcome of each payment matches what the channels hold: charged exactly when we say succeeded (or refunded it). */
export const outcomesMatchChannels: Check = async (ctx) => {
  const journal = await readJournals(ctx.sandboxes);
  const approved = new Set(journal.filter((p) => p.state === 'approved').map((p) => p.paymentId));
  const { rows } = await ctx.pool.query<{ payment_id: string; status: string; conflict_refunds: number }>(
    `SELECT p.payment_id, p.status, (SELECT count(*)::int FROM payment_refunds r WHERE r.payment_id = p.payment_id AND r.conflict) AS conflict_refunds FROM payments p`,
  );
  const offenders: string[] = [];
  const ours = new Set<string>();
  for (const r of rows) {
    ours.add(r.payment_id);
    const paid = r.status === 'SUCCEEDED' || AFTER_SUCCESS.includes(r.status);
    if (paid && !approved.has(r.payment_id)) offenders.push(`${r.payment_id}: ${r.status} here, not charged at any channel`);
    if (!paid && OUTCOMES.includes(r.status) && approved.has(r.payment_id) && r.conflict_refunds === 0) offenders.push(`${r.payment_id}: ${r.status} here, but a channel charged it and no refund was started`);
  }
  for (const id of approved) if (!ours.has(id)) offenders.push(`${id}: charged at a channel, unknown to the read model`);
  return result("every final status agrees with the channels' ground truth", `${rows.length} payments, ${approved.size} charged at channels`, offenders);
};

/** Nothing waits forever without a reason: inputs parked for a payment that never got created. */
export const nothingStuckWithoutReason: Check = async (ctx) => {
  const { rows } = await ctx.pool.query<{ input_id: string; payment_id: string; parked_at: Date }>('SELECT input_id, payment_id, parked_at FROM result_parked_inputs ORDER BY parked_at');
  return result('no input waits for a payment that does not exist', `${rows.length} parked inputs`, rows.map((r) => `${r.payment_id}: ${r.input_id} parked since ${r.parked_at.toISOString()}`));
};

export const BASE_CHECKS: readonly Check[] = [everyPaymentDecided, noDoubleCharge, outcomesMatchChannels, nothingStuckWithoutReason];

export async function runChecks(ctx: CheckContext, checks: readonly Check[]): Promise<CheckReport> {
  const results: CheckResult[] = [];
  for (const check of checks) {
    try {
      results.push(await check(ctx));
    } catch (err) {
      ctx.logger.error({ err }, 'a check could not run');
      results.push({ name: check.name || 'check', ok: false, scope: 'could not run', offenders: 1, examples: [err instanceof Error ? err.message : String(err)] });
    }
  }
  const lines = results.map((r) => `${r.ok ? 'ok  ' : 'FAIL'} ${r.name} (${r.scope})${r.ok ? '' : `: ${r.offenders} offending\n${r.examples.map((e) => `       ${e}`).join('\n')}`}`);
  return { ok: results.every((r) => r.ok), checks: results, report: lines.join('\n') };
}

/** The sandboxes a running `paystream up` published (endpoint names `sandbox:<channelId>`). */
export function sandboxesOf(endpoints: Endpoints | undefined): Record<string, string> {
  const services = (endpoints?.services ?? {}) as Record<string, { url: string } | undefined>;
  return Object.fromEntries(Object.entries(services).flatMap(([name, s]) => (name.startsWith('sandbox:') && s !== undefined ? [[name.slice('sandbox:'.length), s.url]] : [])));
}

export async function runCheck(options: { pool: Pool; endpoints: Endpoints | undefined; logger: Logger; checks?: readonly Check[] }): Promise<CheckReport> {
  return runChecks({ pool: options.pool, sandboxes: sandboxesOf(options.endpoints), logger: options.logger }, options.checks ?? [...BASE_CHECKS, ...LEDGER_CHECKS]);
}
