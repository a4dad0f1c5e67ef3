/**
 * acq_alpha settlement file: CSV, one header line, UTC ISO timestamps, minor units.
 * Columns: id,request_id,merchant_reference,type,status,amount_minor,currency,fee_minor,booked_at
 */
import { parseMinor } from '../money.ts';
import { LineError, parseEach, parseIsoUtc, splitLines } from '../statement-text.ts';
import type { NormalizedStatementLine, ParsedStatement } from '../types.ts';

const HEADER = 'id,request_id,merchant_reference,type,status,amount_minor,currency,fee_minor,booked_at';

function status(word: string): NormalizedStatementLine['status'] {
  switch (word) {
    case 'CAPTURED':
      return 'SETTLED';
    case 'REFUNDED':
      return 'REFUNDED';
    case 'FAILED':
      return 'FAILED';
    default:
      throw new LineError(`unknown status ${word}`);
  }
}

function kind(word: string): NormalizedStatementLine['kind'] {
  if (word === 'PAYMENT') return 'payment';
  if (word === 'REFUND') return 'refund';
  throw new LineError(`unknown type ${word}`);
}

export function parseAlphaStatement(content: string): ParsedStatement {
  const [head, ...body] = splitLines(content, ',');
  if (head === undefined || head.raw !== HEADER) {
    return { channelId: 'acq_alpha', statementDate: null, lines: [], rejected: head === undefined ? [] : [{ lineNumber: head.lineNumber, raw: head.raw, reason: 'not an acq_alpha settlement header' }] };
  }
  const { lines, rejected } = parseEach(body, (line): NormalizedStatementLine => {
    if (line.fields.length !== 9) throw new LineError(`expected 9 fields, got ${line.fields.length}`);
    const [id = '', requestId = '', merchantRef = '', type = '', word = '', amount = '', currency = '', fee = '', bookedAt = ''] = line.fields;
    const amountMinor = parseMinor(amount);
    const feeMinor = parseMinor(fee);
    const bookedAtMs = parseIsoUtc(bookedAt);
    if (amountMinor === undefined) throw new LineError(`bad amount_minor ${amount}`);
    if (feeMinor === undefined) throw new LineError(`bad fee_minor ${fee}`);
    if (bookedAtMs === undefined) throw new LineError(`bad booked_at ${bookedAt}`);
    if (!/^[A-Z]{3}$/.test(currency)) throw new LineError(`bad currency ${currency}`);
    return { channelReference: id, attemptId: requestId, paymentId: merchantRef === '' ? null : merchantRef, kind: kind(type), amountMinor, currency, feeMinor, status: status(word), channelStatus: word, bookedAtMs, lineNumber: line.lineNumber };
  });
  const first = lines[0];
  return { channelId: 'acq_alpha', statementDate: first === undefined ? null : new Date(first.bookedAtMs).toISOString().slice(0, 10), lines, rejected };
}
