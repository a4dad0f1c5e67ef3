/**
 * acq_beta settlement file: semicolon-separated, a `#BETA SETTLEMENT;date=...;tz=+01:00` line,
 * a column header, wall-clock times in UTC+01:00, amounts in major units with two decimals.
 * Columns: Booking Date;Psp Reference;Merchant Reference;Idempotency Key;Record Type;Currency;Gross;Fee;Net
 */
import { currencyExponent, parseMajor } from '../money.ts';
import { LineError, parseEach, parseLocalDateTime, paymentIdOf, splitLines } from '../statement-text.ts';
import type { NormalizedStatementLine, ParsedStatement } from '../types.ts';

const COLUMNS = 'Booking Date;Psp Reference;Merchant Reference;Idempotency Key;Record Type;Currency;Gross;Fee;Net';
const OFFSET_MINUTES = 60;

function recordType(word: string): Pick<NormalizedStatementLine, 'kind' | 'status'> {
  switch (word) {
    case 'Settled':
      return { kind: 'payment', status: 'SETTLED' };
    case 'Refunded':
      return { kind: 'refund', status: 'REFUNDED' };
    case 'Failed':
      return { kind: 'payment', status: 'FAILED' };
    default:
      throw new LineError(`unknown record type ${word}`);
  }
}

function money(text: string, currency: string, what: string): bigint {
  const exponent = currencyExponent(currency);
  const v = exponent === undefined ? undefined : parseMajor(text, exponent);
  if (v === undefined || !/^-?\d+\.\d{2}$/.test(text)) throw new LineError(`bad ${what} ${text}`);
  return v;
}

export function parseBetaStatement(content: string): ParsedStatement {
  const [title, columns, ...body] = splitLines(content, ';');
  const date = /^#BETA SETTLEMENT;date=(\d{4}-\d{2}-\d{2});tz=\+01:00$/.exec(title?.raw ?? '')?.[1];
  if (date === undefined || columns?.raw !== COLUMNS) {
    const bad = [title, columns].filter((l) => l !== undefined).map((l) => ({ lineNumber: l.lineNumber, raw: l.raw, reason: 'not an acq_beta settlement header' }));
    return { channelId: 'acq_beta', statementDate: null, lines: [], rejected: bad };
  }
  const { lines, rejected } = parseEach(body, (line): NormalizedStatementLine => {
    if (line.fields.length !== 9) throw new LineError(`expected 9 fields, got ${line.fields.length}`);
    const [booked = '', psp = '', merchantRef = '', key = '', type = '', currency = '', gross = '', fee = '', net = ''] = line.fields;
    const bookedAtMs = parseLocalDateTime(booked, OFFSET_MINUTES);
    if (bookedAtMs === undefined) throw new LineError(`bad booking date ${booked}`);
    const amountMinor = money(gross, currency, 'gross');
    const feeMinor = money(fee, currency, 'fee');
    if (money(net, currency, 'net') !== amountMinor - feeMinor) throw new LineError('net is not gross minus fee');
    const { kind, status } = recordType(type);
    return { channelReference: psp, attemptId: key, paymentId: merchantRef === '' ? paymentIdOf(key) : merchantRef, kind, amountMinor, currency, feeMinor, status, channelStatus: type, bookedAtMs, lineNumber: line.lineNumber };
  });
  return { channelId: 'acq_beta', statementDate: date, lines, rejected };
}
