/**
 * wallet_a bill file: CSV whose values start with a backquote (so spreadsheets keep them as
 * text), wall-clock times in UTC+08:00, integer minor units, and a totals footer that is
 * checked against the lines.
 * Columns: Trade Time,Transaction ID,Out Trade No,Merchant Ref,Trade Type,Trade State,Currency,Amount,Service Fee
 */
import { parseMinor } from '../money.ts';
import { LineError, parseEach, parseLocalDateTime, splitLines, type RawLine } from '../statement-text.ts';
import type { NormalizedStatementLine, ParsedStatement, RejectedStatementLine } from '../types.ts';

const COLUMNS = 'Trade Time,Transaction ID,Out Trade No,Merchant Ref,Trade Type,Trade State,Currency,Amount,Service Fee';
const FOOTER = 'Total Count,Total Amount,Total Fee';
const OFFSET_MINUTES = 8 * 60;

function unquote(field: string): string {
  if (!field.startsWith('`')) throw new LineError(`value without the leading backquote: ${field}`);
  return field.slice(1);
}

function state(word: string, type: string): Pick<NormalizedStatementLine, 'kind' | 'status'> {
  const kind = type === 'PAY' ? 'payment' : type === 'REFUND' ? 'refund' : undefined;
  if (kind === undefined) throw new LineError(`unknown trade type ${type}`);
  switch (word) {
    case 'SUCCESS':
      return { kind, status: 'SETTLED' };
    case 'REFUND':
      return { kind, status: 'REFUNDED' };
    case 'REVOKED':
      return { kind, status: 'FAILED' };
    default:
      throw new LineError(`unknown trade state ${word}`);
  }
}

function minor(text: string, what: string): bigint {
  const v = parseMinor(text);
  if (v === undefined) throw new LineError(`bad ${what} ${text}`);
  return v;
}

export function parseWalletAStatement(content: string): ParsedStatement {
  const all = splitLines(content, ',');
  const [columns, ...rest] = all;
  if (columns?.raw !== COLUMNS) {
    return { channelId: 'wallet_a', statementDate: null, lines: [], rejected: columns === undefined ? [] : [{ lineNumber: columns.lineNumber, raw: columns.raw, reason: 'not a wallet_a bill header' }] };
  }
  const footerAt = rest.findIndex((l) => l.raw === FOOTER);
  const body: RawLine[] = footerAt < 0 ? rest : rest.slice(0, footerAt);
  const { lines, rejected } = parseEach(body, (line): NormalizedStatementLine => {
    if (line.fields.length !== 9) throw new LineError(`expected 9 fields, got ${line.fields.length}`);
    const [time = '', txn = '', outTradeNo = '', merchantRef = '', type = '', word = '', currency = '', amount = '', fee = ''] = line.fields.map(unquote);
    const bookedAtMs = parseLocalDateTime(time, OFFSET_MINUTES);
    if (bookedAtMs === undefined) throw new LineError(`bad trade time ${time}`);
    if (!/^[A-Z]{3}$/.test(currency)) throw new LineError(`bad currency ${currency}`);
    return { channelReference: txn, attemptId: outTradeNo, paymentId: merchantRef === '' ? null : merchantRef, ...state(word, type), amountMinor: minor(amount, 'amount'), currency, feeMinor: minor(fee, 'service fee'), channelStatus: word, bookedAtMs, lineNumber: line.lineNumber };
  });
  rejected.push(...checkFooter(rest, footerAt, body.length, lines));
  const first = lines[0];
  return { channelId: 'wallet_a', statementDate: first === undefined ? null : new Date(first.bookedAtMs + OFFSET_MINUTES * 60_000).toISOString().slice(0, 10), lines, rejected };
}

/** The totals must match the lines read; a mismatch means lines went missing in transit. */
function checkFooter(rest: RawLine[], footerAt: number, bodyCount: number, lines: NormalizedStatementLine[]): RejectedStatementLine[] {
  const totals = footerAt < 0 ? undefined : rest[footerAt + 1];
  if (totals === undefined) {
    const last = rest[rest.length - 1];
    return [{ lineNumber: last?.lineNumber ?? 1, raw: last?.raw ?? '', reason: 'the totals footer is missing: the file may be truncated' }];
  }
  const [count, amount, fee] = totals.fields.map((f) => f.replace(/^`/, ''));
  const sumAmount = lines.reduce((s, l) => s + l.amountMinor, 0n);
  const sumFee = lines.reduce((s, l) => s + l.feeMinor, 0n);
  if (count !== String(bodyCount) || parseMinor(amount ?? '') !== sumAmount || parseMinor(fee ?? '') !== sumFee) {
    return [{ lineNumber: totals.lineNumber, raw: totals.raw, reason: `totals ${count}/${amount}/${fee} do not match the lines (${bodyCount}/${sumAmount}/${sumFee})` }];
  }
  return [];
}
