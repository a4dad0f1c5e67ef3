/**
 * wallet_b, a redirect wallet with a form-encoded gateway (sandbox side).
 *
 * Every request is a form POST to `/gateway.do` naming a `method`; requests, answers and
 * notifications carry `sign` (base64 RSA-SHA256 over the other non-empty fields sorted as
 * `k=v&k=v`, `sign` and `sign_type` excluded) and `sign_type=RSA2`. Requests are verified with
 * the merchant's public key; the wallet signs with its own private key. Business failures
 * answer HTTP 200 with `code=40004` and a `sub_code`. Amounts are major units ("12.34").
 * Notifications are form POSTs retried until the body is literally `success`.
 * Statement: tab-separated with `#` header lines, UTC-03:00 wall time, major units with two decimals.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RsaAcquirerCredentials } from '../credentials.ts';
import { currencyExponent, formatMajor, parseMajor } from '../money.ts';
import { rsaSha256Sign, rsaSha256Verify, sortedKeyValueString } from '../signing.ts';
import { sampleLatencyMs } from './behaviour.ts';
import type { CallbackSender } from './callbacks.ts';
import { refundPayment, sameRequest } from './card.ts';
import { localDateTime, type Answer, type SandboxContext } from './core.ts';
import { BadField, currency, id, positiveAmount, text, url, type Fields } from './fields.ts';
import type { PaymentEntry } from './journal.ts';
import { statementRows, type StatementFile, type StatementRow } from './statement.ts';

export const WALLET_B_TIME_ZONE_OFFSET_MINUTES = -3 * 60;
export const WALLET_B_FEES = { bps: 250, fixedMinor: 0n };

const major = (minor: bigint, cur: string) => formatMajor(minor, currencyExponent(cur) ?? 2);

function tradeStatus(p: PaymentEntry): string {
  switch (p.state) {
    case 'pending':
      return 'WAIT_BUYER_PAY';
    case 'declined':
      return 'TRADE_CLOSED';
    case 'approved':
      return p.refundedMinor === p.amountMinor ? 'TRADE_CLOSED' : 'TRADE_SUCCESS';
    default: {
      const unreachable: never = p.state;
      throw new Error(`unknown state ${String(unreachable)}`);
    }
  }
}

function majorAmount(f: Fields, key: string, cur: string): bigint {
  const exponent = currencyExponent(cur);
  const v = f[key];
  return positiveAmount(key, exponent !== undefined && exponent <= 2 && typeof v === 'string' ? parseMajor(v, exponent) : undefined);
}

function tradeFields(p: PaymentEntry, ctx: SandboxContext): Record<string, string> {
  return {
    trade_no: p.reference,
    out_trade_no: p.requestId,
    passback_params: p.merchantRef,
    trade_status: tradeStatus(p),
    total_amount: major(p.amountMinor, p.currency),
    refund_amount: major(p.refundedMinor, p.currency),
    currency: p.currency,
    gmt_payment: p.state === 'approved' && p.completedAtMs !== null ? localDateTime(p.completedAtMs, WALLET_B_TIME_ZONE_OFFSET_MINUTES) : '',
    close_reason: p.declineReason === null ? '' : p.declineReason === 'merchant_closed' ? 'MERCHANT_CLOSED' : 'BUYER_CANCELLED',
    gmt_create: localDateTime(p.createdAtMs, WALLET_B_TIME_ZONE_OFFSET_MINUTES),
    seller_id: ctx.name,
  };
}

export function walletBIsAck(statusCode: number, body: string): boolean {
  return statusCode === 200 && body === 'success';
}

export function registerWalletB(app: FastifyInstance, ctx: SandboxContext, credentials: RsaAcquirerCredentials, callbacks: CallbackSender, defaultNotifyUrl: string | null, baseUrl: () => string): void {
  const signed = (fields: Record<string, string>): string => {
    const all = { ...fields, sign_type: 'RSA2' };
    const sign = rsaSha256Sign(credentials.acquirerPrivateKeyPem, sortedKeyValueString(all, ['sign', 'sign_type']));
    return new URLSearchParams({ ...all, sign }).toString();
  };
  const answer = (fields: Record<string, string>, statusCode = 200): Answer => ({ statusCode, contentType: 'application/x-www-form-urlencoded', headers: {}, body: signed(fields) });
  const ok = (fields: Record<string, string>) => answer({ code: '10000', msg: 'Success', ...fields });
  const failed = (code: string, msg: string, subCode: string) => answer({ code, msg, sub_code: subCode });
  const unavailable = (statusCode: number) => answer({ code: '20000', msg: 'Service Currently Unavailable', sub_code: 'isp.unknown-error' }, statusCode);

  const complete = (entry: PaymentEntry): void => {
    const declined = ctx.chance(ctx.behaviour.completionDeclineRate);
    const changed = ctx.journal.complete(entry.reference, declined ? 'declined' : 'approved', declined ? 'payer_cancelled' : null, ctx.feeFor(entry.amountMinor), ctx.clock.nowMs());
    if (!changed || entry.notifyUrl === null) return;
    const notifyId = ctx.nextId('NTF');
    const body = signed({ notify_id: notifyId, notify_type: 'trade_status_sync', notify_time: localDateTime(ctx.clock.nowMs(), WALLET_B_TIME_ZONE_OFFSET_MINUTES), app_id: credentials.appId, ...tradeFields(entry, ctx) });
    callbacks.send({ id: notifyId, url: entry.notifyUrl, contentType: 'application/x-www-form-urlencoded', headers: {}, body });
  };

  const create = (f: Fields): Answer => {
    const cur = currency(f, 'currency');
    const o = { requestId: id(f, 'out_trade_no'), merchantRef: id(f, 'passback_params'), amountMinor: majorAmount(f, 'total_amount', cur), currency: cur };
    text(f, 'subject');
    const notifyUrl = f.notify_url === undefined || f.notify_url === '' ? defaultNotifyUrl : url(f, 'notify_url');
    const fingerprint = JSON.stringify([o.merchantRef, o.amountMinor.toString(), o.currency]);
    const existing = ctx.journal.payment(o.requestId);
    if (existing !== undefined) {
      if (!sameRequest(existing, fingerprint)) return failed('40004', 'Business Failed', 'ACQ.CONTEXT_INCONSISTENT');
      return ok(existing.firstAnswer as Record<string, string>);
    }
    if (ctx.journal.isClosed(o.requestId)) return failed('40004', 'Business Failed', 'ACQ.TRADE_HAS_CLOSE');
    const entry = ctx.journal.addPayment({ ...o, reference: ctx.nextId('2026'), state: 'pending', declineReason: null, feeMinor: 0n, refundedMinor: 0n, notifyUrl, createdAtMs: ctx.clock.nowMs(), completedAtMs: null, fingerprint, firstAnswer: undefined });
    entry.firstAnswer = { trade_no: entry.reference, out_trade_no: entry.requestId, trade_status: 'WAIT_BUYER_PAY', pay_url: `${baseUrl()}/pay/${entry.reference}` };
    ctx.later(sampleLatencyMs(ctx.behaviour.completionDelay, ctx.random), () => complete(entry));
    return ok(entry.firstAnswer as Record<string, string>);
  };

  const query = (f: Fields): Answer => {
    const entry = ctx.journal.paymentOrClose(id(f, 'out_trade_no'));
    return entry === undefined ? failed('40004', 'Business Failed', 'ACQ.TRADE_NOT_EXIST') : ok(tradeFields(entry, ctx));
  };

  /** Closes an unpaid trade so it can no longer be paid; an unknown id is closed for good too. */
  const close = (f: Fields): Answer => {
    const entry = ctx.journal.paymentOrClose(id(f, 'out_trade_no'));
    if (entry === undefined) return ok({ out_trade_no: id(f, 'out_trade_no') });
    if (entry.state === 'approved') return failed('40004', 'Business Failed', 'ACQ.TRADE_STATUS_ERROR');
    ctx.journal.complete(entry.reference, 'declined', 'merchant_closed', 0n, ctx.clock.nowMs());
    return ok({ out_trade_no: entry.requestId, trade_no: entry.reference });
  };

  const refund = (f: Fields): Answer => {
    const cur = currency(f, 'currency');
    const r = { requestId: id(f, 'out_request_no'), paymentReference: id(f, 'trade_no'), amountMinor: majorAmount(f, 'refund_amount', cur), currency: cur };
    const fingerprint = JSON.stringify([r.paymentReference, r.amountMinor.toString(), r.currency]);
    const existing = ctx.journal.refund(r.requestId);
    if (existing === undefined) {
      const entry = refundPayment(ctx, { ...r, fingerprint }, 'R');
      entry.firstAnswer = entry.state === 'refunded' ? { refund_no: entry.reference, out_request_no: entry.requestId, trade_no: entry.paymentReference, refund_fee: major(entry.amountMinor, entry.currency), currency: entry.currency, fund_change: 'Y' } : { sub_code: `ACQ.${(entry.rejectReason ?? 'refund_rejected').toUpperCase()}` };
      return entry.state === 'refunded' ? ok(entry.firstAnswer as Record<string, string>) : failed('40004', 'Business Failed', (entry.firstAnswer as { sub_code: string }).sub_code);
    }
    if (!sameRequest(existing, fingerprint)) return failed('40004', 'Business Failed', 'ACQ.CONTEXT_INCONSISTENT');
    return existing.state === 'refunded' ? ok(existing.firstAnswer as Record<string, string>) : failed('40004', 'Business Failed', (existing.firstAnswer as { sub_code: string }).sub_code);
  };

  const dispatch = (req: FastifyRequest): Answer => {
    const f: Record<string, string> = Object.fromEntries(new URLSearchParams(typeof req.body === 'string' ? req.body : ''));
    if (f.app_id !== credentials.appId) return failed('40002', 'Invalid Arguments', 'isv.invalid-app-id');
    if (f.sign_type !== 'RSA2' || f.sign === undefined || !rsaSha256Verify(credentials.merchantPublicKeyPem, sortedKeyValueString(f, ['sign', 'sign_type']), f.sign)) {
      return failed('40002', 'Invalid Arguments', 'isv.invalid-signature');
    }
    try {
      switch (f.method) {
        case 'wallet.trade.create':
          return create(f);
        case 'wallet.trade.query':
          return query(f);
        case 'wallet.trade.refund':
          return refund(f);
        case 'wallet.trade.close':
          return close(f);
        default:
          return failed('40002', 'Invalid Arguments', 'isv.invalid-method');
      }
    } catch (err) {
      if (err instanceof BadField) return failed('40002', 'Invalid Arguments', `isv.invalid-${err.field.replaceAll('_', '-')}`);
      throw err;
    }
  };

  app.post('/gateway.do', (req, reply) => ctx.apiCall(reply, unavailable, () => dispatch(req)));
}

function walletBStatus(row: StatementRow): string {
  switch (row.state) {
    case 'settled':
      return 'TRADE_SUCCESS';
    case 'refunded':
      return 'REFUND_SUCCESS';
    case 'failed':
      return 'TRADE_CLOSED';
    default: {
      const unreachable: never = row.state;
      throw new Error(`unknown state ${String(unreachable)}`);
    }
  }
}

export function walletBStatement(ctx: SandboxContext, date: string): StatementFile {
  const { rows, discrepancies } = statementRows(ctx, date, WALLET_B_TIME_ZONE_OFFSET_MINUTES);
  const two = (minor: bigint, cur: string) => formatMajor(minor, currencyExponent(cur) ?? 2, 2);
  const lines = ['# wallet_b account statement', `# date: ${date}`, '# time zone: UTC-03:00', ['trade_no', 'out_trade_no', 'passback_params', 'biz_type', 'finished_at', 'currency', 'total_amount', 'commission', 'status'].join('\t')];
  for (const r of rows) {
    lines.push([r.reference, r.requestId, r.merchantRef, r.kind === 'payment' ? 'trade' : 'refund', localDateTime(r.bookedAtMs, WALLET_B_TIME_ZONE_OFFSET_MINUTES), r.currency, two(r.amountMinor, r.currency), two(r.feeMinor, r.currency), walletBStatus(r)].join('\t'));
  }
  lines.push(`# end: ${rows.length} lines`);
  return { date, fileName: `wallet_b_${date.replaceAll('-', '')}.tsv`, content: `${lines.join('\n')}\n`, rows, discrepancies };
}
