/**
 * The rows of one business day's statement, taken from the journal in the acquirer's own time
 * zone, with the configured discrepancies applied. Each protocol renders the rows in its own
 * layout. Which line got which discrepancy is fixed by the seed and the reference (not by call
 * order), and returned beside the file so tests know the truth.
 */
import type { StatementDiscrepancies } from './behaviour.ts';
import { localDate, type SandboxContext } from './core.ts';
import { keyedUnit } from './random.ts';

export interface StatementRow {
  reference: string;
  requestId: string;
  merchantRef: string;
  kind: 'payment' | 'refund';
  /** Our words; each layout has its own. */
  state: 'settled' | 'refunded' | 'failed';
  amountMinor: bigint;
  currency: string;
  feeMinor: bigint;
  bookedAtMs: number;
}

export type DiscrepancyKind = 'missing' | 'extra' | 'amount' | 'status' | 'fee';

export interface AppliedDiscrepancy {
  kind: DiscrepancyKind;
  reference: string;
}

export interface StatementFile {
  date: string;
  fileName: string;
  content: string;
  rows: StatementRow[];
  discrepancies: AppliedDiscrepancy[];
}

/** Journal rows booked on `date` (local to `offsetMinutes`), with discrepancies applied. */
export function statementRows(ctx: SandboxContext, date: string, offsetMinutes: number): { rows: StatementRow[]; discrepancies: AppliedDiscrepancy[] } {
  const truth: StatementRow[] = [];
  for (const e of ctx.journal.entries()) {
    if (e.kind === 'payment') {
      if (e.state !== 'approved' || e.completedAtMs === null || localDate(e.completedAtMs, offsetMinutes) !== date) continue;
      truth.push({ reference: e.reference, requestId: e.requestId, merchantRef: e.merchantRef, kind: 'payment', state: 'settled', amountMinor: e.amountMinor, currency: e.currency, feeMinor: e.feeMinor, bookedAtMs: e.completedAtMs });
    } else {
      if (e.state !== 'refunded' || localDate(e.createdAtMs, offsetMinutes) !== date) continue;
      const payment = ctx.journal.paymentByReference(e.paymentReference);
      truth.push({ reference: e.reference, requestId: e.requestId, merchantRef: payment?.merchantRef ?? '', kind: 'refund', state: 'refunded', amountMinor: e.amountMinor, currency: e.currency, feeMinor: 0n, bookedAtMs: e.createdAtMs });
    }
  }
  return applyDiscrepancies(ctx, date, offsetMinutes, truth, ctx.behaviour.statement);
}

function applyDiscrepancies(ctx: SandboxContext, date: string, offsetMinutes: number, truth: StatementRow[], d: StatementDiscrepancies) {
  const rows: StatementRow[] = [];
  const discrepancies: AppliedDiscrepancy[] = [];
  const hit = (kind: DiscrepancyKind, rate: number, ref: string) => rate > 0 && keyedUnit(ctx.seed, date, kind, ref) < rate;
  for (const row of truth) {
    if (hit('missing', d.missingRate, row.reference)) {
      discrepancies.push({ kind: 'missing', reference: row.reference });
      continue;
    }
    const out = { ...row };
    if (hit('amount', d.amountRate, row.reference)) {
      out.amountMinor += 1n + BigInt(Math.floor(keyedUnit(ctx.seed, date, 'amount-by', row.reference) * 100));
      discrepancies.push({ kind: 'amount', reference: row.reference });
    }
    if (row.kind === 'payment' && hit('status', d.statusRate, row.reference)) {
      out.state = 'failed';
      discrepancies.push({ kind: 'status', reference: row.reference });
    }
    if (hit('fee', d.feeRate, row.reference)) {
      out.feeMinor += 1n + BigInt(Math.floor(keyedUnit(ctx.seed, date, 'fee-by', row.reference) * 10));
      discrepancies.push({ kind: 'fee', reference: row.reference });
    }
    rows.push(out);
  }
  // Lines the journal never had, booked at noon local time on the statement date.
  const noonMs = Date.parse(`${date}T12:00:00Z`) - offsetMinutes * 60_000;
  for (let i = 0; i < d.extraCount; i += 1) {
    const reference = `XTRA${ctx.seed.toString(36)}${date.replaceAll('-', '')}${i.toString().padStart(4, '0')}`;
    const amountMinor = 100n + BigInt(Math.floor(keyedUnit(ctx.seed, date, 'extra', String(i)) * 100_000));
    rows.push({ reference, requestId: `unknown-${i}`, merchantRef: `unknown-${i}`, kind: 'payment', state: 'settled', amountMinor, currency: truth[0]?.currency ?? 'EUR', feeMinor: ctx.feeFor(amountMinor), bookedAtMs: noonMs + i * 1000 });
    discrepancies.push({ kind: 'extra', reference });
  }
  return { rows, discrepancies };
}
