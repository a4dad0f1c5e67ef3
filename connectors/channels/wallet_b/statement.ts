/**
 * wallet_b account statement: tab-separated, `#` comment lines (title, `# date: D`, time
 * zone, and `# end: N lines` closing the file), wall-clock times in UTC-03:00, major units with
 * two decimals.
 * Columns: trade_no, out_trade_no, passback_params, biz_type, finished_at, currency, total_amount, commission, status
 */
import { currencyExponent, parseMajor } from '../money.ts';
import { LineError, parseEach, parseLocalDateTime, splitLines } from '../statement-text.ts';
import type { NormalizedStatementLine, ParsedStatement, RejectedStatementLine } from '../types.ts';

const COLUMNS = ['trade_no', 'out_trade_no', 'passback_params', 'biz_type', 'finished_at', 'currency', 'total_amount', 'commission', 'status'].join('\t');
const OFFSET_MINUTES = -3 * 60;

function status(word: string, bizType: string): Pick<NormalizedStatementLine, 'kind' | 'status'> {
  const kind = bizType === 'trade' ? 'payment' : bizType === 'refund' ? 'refund' : undefined;
  if (kind === undefined) throw new LineError(`unknown biz_type ${bizType}`);
  switch (word) {
    case 'TRADE_SUCCESS':
      return { kind, status: 'SETTLED' };
    case 'REFUND_SUCCESS':
      return { kind, status: 'REFUNDED' };
    case 'TRADE_CLOSED':
      return { kind, status: 'FAILED' };
    default:
      throw new LineError(`unknown status ${word}`);
  }
}

function money(text: string, currency: string, what: string): bigint {
  const exponent = currencyExponent(currency);
  const v = exponent === undefined || !/^-?\d+\.\d{2}$/.test(text) ? undefined : parseMajor(text, exponent);
  if (v === undefined) throw new LineError(`bad ${what} ${text}`);
  return v;
}

export function parseWalletBStatement(content: string): ParsedStatement {
  const all = splitLines(content, '\t');
  const comments = all.filter((l) => l.raw.startsWith('#'));
  const data = all.filter((l) => !l.raw.startsWith('#'));
  const date = comments.map((l) => /^# date: (\d{4}-\d{2}-\d{2})$/.exec(l.raw)?.[1]).find((d) => d !== undefined) ?? null;
  const [columns, ...body] = data;
  if (columns?.raw !== COLUMNS) {
    return { channelId: 'wallet_b', statementDate: date, lines: [], rejected: columns === undefined ? [] : [{ lineNumber: columns.lineNumber, raw: columns.raw, reason: 'not a wallet_b statement header' }] };
  }
  const { lines, rejected } = parseEach(body, (line): NormalizedStatementLine => {
    if (line.fields.length !== 9) throw new LineError(`expected 9 fields, got ${line.fields.length}`);
    const [tradeNo = '', outTradeNo = '', passback = '', bizType = '', finishedAt = '', currency = '', total = '', commission = '', word = ''] = line.fields;
    const bookedAtMs = parseLocalDateTime(finishedAt, OFFSET_MINUTES);
    if (bookedAtMs === undefined) throw new LineError(`bad finished_at ${finishedAt}`);
    return { channelReference: tradeNo, attemptId: outTradeNo === '' ? null : outTradeNo, paymentId: passback === '' ? null : passback, ...status(word, bizType), amountMinor: money(total, currency, 'total_amount'), currency, feeMinor: money(commission, currency, 'commission'), channelStatus: word, bookedAtMs, lineNumber: line.lineNumber };
  });
  rejected.push(...checkEnd(all, body.length));
  return { channelId: 'wallet_b', statementDate: date, lines, rejected };
}

/** `# end: N lines` must close the file and count its data lines; otherwise it was cut short. */
function checkEnd(all: ReturnType<typeof splitLines>, dataLines: number): RejectedStatementLine[] {
  const last = all[all.length - 1];
  const count = /^# end: (\d+) lines$/.exec(last?.raw ?? '')?.[1];
  if (count === undefined) return [{ lineNumber: last?.lineNumber ?? 1, raw: last?.raw ?? '', reason: 'the end line is missing: the file may be truncated' }];
  if (Number(count) !== dataLines) return [{ lineNumber: last?.lineNumber ?? 1, raw: last?.raw ?? '', reason: `end line counts ${count} lines, the file has ${dataLines}` }];
  return [];
}
