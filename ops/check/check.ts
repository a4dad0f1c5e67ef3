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

export const BASE_CHECKS: readonly Check[] = [noDoubleCharge];

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
  return runChecks({ pool: options.pool, sandboxes: sandboxesOf(options.endpoints), logger: options.logger }, options.checks ?? BASE_CHECKS);
}
