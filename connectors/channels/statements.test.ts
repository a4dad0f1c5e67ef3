import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAlphaStatement } from './acq_alpha/statement.ts';
import { parseBetaStatement } from './acq_beta/statement.ts';
import type { NormalizedStatementLine } from './types.ts';
import { parseWalletAStatement } from './wallet_a/statement.ts';
import { parseWalletBStatement } from './wallet_b/statement.ts';

// The same settled payment as each channel writes it: 1234.56 EUR, fee 2.35, booked 2026-11-20 23:30:00 UTC.
const bookedAtMs = Date.parse('2026-11-20T23:30:00Z');
const expected = { channelReference: 'REF1', attemptId: 'p1:1', paymentId: 'p1', kind: 'payment', amountMinor: 123456n, currency: 'EUR', feeMinor: 235n, status: 'SETTLED', bookedAtMs } as const;

function only(lines: NormalizedStatementLine[]) {
  assert.equal(lines.length, 1);
  const [line] = lines;
  assert.ok(line !== undefined);
  const { lineNumber: _lineNumber, channelStatus: _channelStatus, ...rest } = line;
  return rest;
}

test('each statement layout normalizes to the same line: minor units, UTC instants, our status words', () => {
  const alpha = parseAlphaStatement('id,request_id,merchant_reference,type,status,amount_minor,currency,fee_minor,booked_at\nREF1,p1:1,p1,PAYMENT,CAPTURED,123456,EUR,235,2026-11-20T23:30:00.000Z\n');
  const beta = parseBetaStatement('#BETA SETTLEMENT;date=2026-11-21;tz=+01:00\nBooking Date;Psp Reference;Merchant Reference;Idempotency Key;Record Type;Currency;Gross;Fee;Net\n2026-11-21 00:30:00;REF1;p1;p1:1;Settled;EUR;1234.56;2.35;1232.21\n');
  const walletA = parseWalletAStatement('Trade Time,Transaction ID,Out Trade No,Merchant Ref,Trade Type,Trade State,Currency,Amount,Service Fee\n`2026-11-21 07:30:00,`REF1,`p1:1,`p1,`PAY,`SUCCESS,`EUR,`123456,`235\nTotal Count,Total Amount,Total Fee\n`1,`123456,`235\n');
  const walletB = parseWalletBStatement('# wallet_b account statement\n# date: 2026-11-20\n# time zone: UTC-03:00\ntrade_no\tout_trade_no\tpassback_params\tbiz_type\tfinished_at\tcurrency\ttotal_amount\tcommission\tstatus\nREF1\tp1:1\tp1\ttrade\t2026-11-20 20:30:00\tEUR\t1234.56\t2.35\tTRADE_SUCCESS\n# end: 1 lines\n');
  for (const parsed of [alpha, beta, walletA, walletB]) {
    assert.deepEqual(parsed.rejected, [], parsed.channelId);
    assert.deepEqual(only(parsed.lines), expected, parsed.channelId);
  }
  assert.deepEqual([alpha.statementDate, beta.statementDate, walletA.statementDate, walletB.statementDate], ['2026-11-20', '2026-11-21', '2026-11-21', '2026-11-20']);
});

test('statement lines that cannot be read are rejected with their line number and reason, never dropped', () => {
  const alpha = parseAlphaStatement('id,request_id,merchant_reference,type,status,amount_minor,currency,fee_minor,booked_at\nR,a:1,a,PAYMENT,SETTLED,1,EUR,0,2026-11-20T00:00:00Z\nR,a:1,a,PAYMENT,CAPTURED,1,EUR,0,2026-11-20 00:00:00\nR,a:1,a,CHARGE,CAPTURED,1,EUR,0,2026-11-20T00:00:00Z\nR,a:1\n');
  assert.deepEqual(alpha.rejected.map((r) => [r.lineNumber, r.reason]), [[2, 'unknown status SETTLED'], [3, 'bad booked_at 2026-11-20 00:00:00'], [4, 'unknown type CHARGE'], [5, 'expected 9 fields, got 2']]);
  const beta = parseBetaStatement('#BETA SETTLEMENT;date=2026-11-21;tz=+01:00\nBooking Date;Psp Reference;Merchant Reference;Idempotency Key;Record Type;Currency;Gross;Fee;Net\n2026-11-21 00:30:00;R;p;p:1;Settled;EUR;10.00;1.00;8.00\n2026-11-21 00:30:00;R;p;p:1;Settled;EUR;10.5;1.00;9.50\n');
  assert.deepEqual(beta.rejected.map((r) => r.reason), ['net is not gross minus fee', 'bad gross 10.5']);
  assert.equal(parseBetaStatement('hello\n').rejected[0]?.reason, 'not an acq_beta settlement header');
  const walletA = parseWalletAStatement('Trade Time,Transaction ID,Out Trade No,Merchant Ref,Trade Type,Trade State,Currency,Amount,Service Fee\n2026-11-21 07:30:00,`R,`p:1,`p,`PAY,`SUCCESS,`EUR,`1,`0\nTotal Count,Total Amount,Total Fee\n`1,`1,`0\n');
  assert.equal(walletA.rejected.length, 2, 'the unquoted line, then the totals that no longer match');
  const walletB = parseWalletBStatement('# date: 2026-11-20\ntrade_no\tout_trade_no\tpassback_params\tbiz_type\tfinished_at\tcurrency\ttotal_amount\tcommission\tstatus\nR\tp:1\tp\ttrade\t2026-11-20 20:30:00\tXXX\t1.00\t0.00\tTRADE_SUCCESS\n# end: 2 lines\n');
  assert.deepEqual(walletB.rejected.map((r) => r.reason), ['bad total_amount 1.00', 'end line counts 2 lines, the file has 1']);
});
