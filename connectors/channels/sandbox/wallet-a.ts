/**
 * wallet_a, a QR/app wallet with a JSON API (sandbox side).
 *
 * Requests carry `wallet-key-id`, `wallet-timestamp` (seconds), `wallet-nonce` and
 * `wallet-signature`: hex HMAC-SHA256 of `METHOD\npath\ntimestamp\nnonce\nbody\n`. Answers and
 * callbacks carry `wallet-timestamp`, `wallet-nonce`, `wallet-signature` over
 * `timestamp\nnonce\nbody\n`. Amounts are integer minor units (JSON numbers). Creating an order
 * returns a prepay id; the payer completes it later and the wallet POSTs a signed callback to
 * the notify URL until it is answered 200 `{"code":"SUCCESS"}`. Statement: CSV with a summary
 * footer, UTC+08:00 wall time, minor units, values prefixed by a backquote.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { HmacCredentials } from '../credentials.ts';
import { hmacSha256, signaturesEqual } from '../signing.ts';
import { sampleLatencyMs } from './behaviour.ts';
import type { CallbackSender } from './callbacks.ts';
import { refundPayment, sameRequest } from './card.ts';
import { localDateTime, type Answer, type SandboxContext } from './core.ts';
import { BadField, currency, id, obj, parseJsonFields, positiveAmount, text, url, type Fields } from './fields.ts';
import type { PaymentEntry, RefundEntry } from './journal.ts';
import { SIGNATURE_SKEW_MS_MAX } from './limits.ts';
import { statementRows, type StatementFile, type StatementRow } from './statement.ts';

export const WALLET_A_TIME_ZONE_OFFSET_MINUTES = 8 * 60;
export const WALLET_A_FEES = { bps: 60, fixedMinor: 0n };

function tradeState(p: PaymentEntry): string {
  switch (p.state) {
    case 'pending':
      return 'NOTPAY';
    case 'declined':
      return p.declineReason === 'merchant_closed' ? 'CLOSED' : 'PAYERROR';
    case 'approved':
      return p.refundedMinor > 0n ? 'REFUND' : 'SUCCESS';
    default: {
      const unreachable: never = p.state;
      throw new Error(`unknown state ${String(unreachable)}`);
    }
  }
}

/** JSON numbers lose precision past 2^53; the wallet refuses such amounts rather than round them. */
function jsonAmount(o: Fields, key: string): bigint {
  const v = o[key];
  return positiveAmount(key, typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : undefined);
}

function orderBody(p: PaymentEntry): string {
  return JSON.stringify({
    out_trade_no: p.requestId,
    merchant_ref: p.merchantRef,
    transaction_id: p.state === 'approved' ? p.reference : null,
    prepay_id: p.reference,
    trade_state: tradeState(p),
    amount: { total: Number(p.amountMinor), currency: p.currency, refunded: Number(p.refundedMinor) },
    success_time: p.state === 'approved' && p.completedAtMs !== null ? new Date(p.completedAtMs).toISOString() : null,
  });
}

function refundBody(r: RefundEntry): string {
  return JSON.stringify({ refund_id: r.reference, out_refund_no: r.requestId, transaction_id: r.paymentReference, status: r.state === 'refunded' ? 'SUCCESS' : 'ABNORMAL', reason: r.rejectReason, amount: { refund: Number(r.amountMinor), currency: r.currency } });
}

export function walletASigner(ctx: SandboxContext, credentials: HmacCredentials) {
  return (body: string): Record<string, string> => {
    const ts = String(Math.floor(ctx.clock.nowMs() / 1000));
    const nonce = ctx.nextId('N');
    return { 'wallet-key-id': credentials.keyId, 'wallet-timestamp': ts, 'wallet-nonce': nonce, 'wallet-signature': hmacSha256(credentials.secret, `${ts}\n${nonce}\n${body}\n`, 'hex') };
  };
}

export function walletAIsAck(statusCode: number, body: string): boolean {
  if (statusCode !== 200) return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    if (err instanceof SyntaxError) return false;
    throw err;
  }
  return typeof parsed === 'object' && parsed !== null && (parsed as Fields).code === 'SUCCESS';
}

export function registerWalletA(app: FastifyInstance, ctx: SandboxContext, credentials: HmacCredentials, callbacks: CallbackSender, defaultNotifyUrl: string | null): void {
  const sign = walletASigner(ctx, credentials);
  const answer = (statusCode: number, body: string): Answer => ({ statusCode, contentType: 'application/json', headers: sign(body), body });
  const error = (statusCode: number, code: string, message: string) => answer(statusCode, JSON.stringify({ code, message }));
  const unavailable = (statusCode: number) => error(statusCode, 'SYSTEM_ERROR', 'system busy');

  const guarded = (req: FastifyRequest, handle: (body: string) => Answer): Answer => {
    const body = typeof req.body === 'string' ? req.body : '';
    const h = req.headers;
    const ts = h['wallet-timestamp'];
    const nonce = h['wallet-nonce'];
    const sig = h['wallet-signature'];
    if (h['wallet-key-id'] !== credentials.keyId || typeof ts !== 'string' || typeof nonce !== 'string' || typeof sig !== 'string') return error(401, 'SIGN_ERROR', 'missing signature headers');
    const expected = hmacSha256(credentials.secret, `${req.method}\n${req.url}\n${ts}\n${nonce}\n${body}\n`, 'hex');
    if (!signaturesEqual(expected, sig)) return error(401, 'SIGN_ERROR', 'signature does not match');
    if (!(Math.abs(ctx.clock.nowMs() - Number(ts) * 1000) <= SIGNATURE_SKEW_MS_MAX)) return error(401, 'SIGN_ERROR', 'timestamp outside the allowed window');
    try {
      return handle(body);
    } catch (err) {
      if (err instanceof BadField) return error(400, 'PARAM_ERROR', err.message);
      throw err;
    }
  };

  const complete = (entry: PaymentEntry): void => {
    const declined = ctx.chance(ctx.behaviour.completionDeclineRate);
    const changed = ctx.journal.complete(entry.reference, declined ? 'declined' : 'approved', declined ? 'payer_cancelled' : null, ctx.feeFor(entry.amountMinor), ctx.clock.nowMs());
    if (!changed || entry.notifyUrl === null) return;
    const notificationId = ctx.nextId('EV');
    const body = JSON.stringify({
      id: notificationId,
      create_time: new Date(ctx.clock.nowMs()).toISOString(),
      event_type: declined ? 'TRANSACTION.FAIL' : 'TRANSACTION.SUCCESS',
      resource: JSON.parse(orderBody(entry)) as unknown,
    });
    callbacks.send({ id: notificationId, url: entry.notifyUrl, contentType: 'application/json', headers: sign(body), body });
  };

  app.post('/v3/orders', (req, reply) =>
    ctx.apiCall(reply, unavailable, () =>
      guarded(req, (raw) => {
        const b = parseJsonFields(raw);
        const amount = obj(b, 'amount');
        const o = { requestId: id(b, 'out_trade_no'), merchantRef: id(b, 'merchant_ref'), amountMinor: jsonAmount(amount, 'total'), currency: currency(amount, 'currency') };
        text(b, 'description');
        const notifyUrl = b.notify_url === undefined ? defaultNotifyUrl : url(b, 'notify_url');
        const fingerprint = JSON.stringify([o.merchantRef, o.amountMinor.toString(), o.currency]);
        const existing = ctx.journal.payment(o.requestId);
        if (existing !== undefined) {
          if (!sameRequest(existing, fingerprint)) return error(400, 'OUT_TRADE_NO_USED', 'out_trade_no was used for a different order');
          return answer(200, existing.firstAnswer as string);
        }
        if (ctx.journal.isClosed(o.requestId)) return error(400, 'ORDER_CLOSED', 'out_trade_no was closed by a status query');
        const entry = ctx.journal.addPayment({ ...o, reference: ctx.nextId('wx'), state: 'pending', declineReason: null, feeMinor: 0n, refundedMinor: 0n, notifyUrl, createdAtMs: ctx.clock.nowMs(), completedAtMs: null, fingerprint, firstAnswer: undefined });
        entry.firstAnswer = JSON.stringify({ prepay_id: entry.reference, out_trade_no: entry.requestId, code_url: `walleta://pay?prepay_id=${entry.reference}` });
        ctx.later(sampleLatencyMs(ctx.behaviour.completionDelay, ctx.random), () => complete(entry));
        return answer(200, entry.firstAnswer as string);
      }),
    ),
  );

  app.get('/v3/orders/out-trade-no/:no', (req, reply) =>
    ctx.apiCall(reply, unavailable, () =>
      guarded(req, () => {
        const entry = ctx.journal.paymentOrClose(id(req.params as Fields, 'no'));
        return entry === undefined ? error(404, 'ORDER_NOT_EXIST', 'order does not exist') : answer(200, orderBody(entry));
      }),
    ),
  );

  // Closes an unpaid order so it can no longer be paid; an unknown id is closed for good too.
  app.post('/v3/orders/out-trade-no/:no/close', (req, reply) =>
    ctx.apiCall(reply, unavailable, () =>
      guarded(req, () => {
        const entry = ctx.journal.paymentOrClose(id(req.params as Fields, 'no'));
        if (entry === undefined) return answer(200, JSON.stringify({ closed: true }));
        if (entry.state === 'approved') return error(400, 'ORDER_PAID', 'order already paid');
        ctx.journal.complete(entry.reference, 'declined', 'merchant_closed', 0n, ctx.clock.nowMs());
        return answer(200, JSON.stringify({ closed: true }));
      }),
    ),
  );

  app.post('/v3/refunds', (req, reply) =>
    ctx.apiCall(reply, unavailable, () =>
      guarded(req, (raw) => {
        const b = parseJsonFields(raw);
        const amount = obj(b, 'amount');
        const r = { requestId: id(b, 'out_refund_no'), paymentReference: id(b, 'transaction_id'), amountMinor: jsonAmount(amount, 'refund'), currency: currency(amount, 'currency') };
        const fingerprint = JSON.stringify([r.paymentReference, r.amountMinor.toString(), r.currency]);
        const existing = ctx.journal.refund(r.requestId);
        if (existing !== undefined) {
          if (!sameRequest(existing, fingerprint)) return error(400, 'OUT_REFUND_NO_USED', 'out_refund_no was used for a different refund');
          return answer(200, existing.firstAnswer as string);
        }
        const entry = refundPayment(ctx, { ...r, fingerprint }, 'rf');
        entry.firstAnswer = refundBody(entry);
        return answer(200, entry.firstAnswer as string);
      }),
    ),
  );
}

function walletAState(row: StatementRow): string {
  switch (row.state) {
    case 'settled':
      return 'SUCCESS';
    case 'refunded':
      return 'REFUND';
    case 'failed':
      return 'REVOKED';
    default: {
      const unreachable: never = row.state;
      throw new Error(`unknown state ${String(unreachable)}`);
    }
  }
}

export function walletAStatement(ctx: SandboxContext, date: string): StatementFile {
  const { rows, discrepancies } = statementRows(ctx, date, WALLET_A_TIME_ZONE_OFFSET_MINUTES);
  const q = (v: string) => `\`${v}`;
  const lines = ['Trade Time,Transaction ID,Out Trade No,Merchant Ref,Trade Type,Trade State,Currency,Amount,Service Fee'];
  let total = 0n;
  let fees = 0n;
  for (const r of rows) {
    total += r.amountMinor;
    fees += r.feeMinor;
    lines.push([localDateTime(r.bookedAtMs, WALLET_A_TIME_ZONE_OFFSET_MINUTES), r.reference, r.requestId, r.merchantRef, r.kind === 'payment' ? 'PAY' : 'REFUND', walletAState(r), r.currency, r.amountMinor.toString(), r.feeMinor.toString()].map(q).join(','));
  }
  lines.push('Total Count,Total Amount,Total Fee', [String(rows.length), total.toString(), fees.toString()].map(q).join(','));
  return { date, fileName: `wallet_a_bill_${date.replaceAll('-', '')}.csv`, content: `${lines.join('\n')}\n`, rows, discrepancies };
}
