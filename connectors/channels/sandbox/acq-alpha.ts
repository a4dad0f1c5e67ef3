/**
 * acq_alpha, a card acquirer with a JSON API (sandbox side).
 *
 * Requests carry `x-alpha-key-id`, `x-alpha-timestamp` (ms) and `x-alpha-signature`: hex
 * HMAC-SHA256 of `timestamp.METHOD.path.body`. Every answer carries `x-alpha-timestamp` and
 * `x-alpha-signature`: hex HMAC-SHA256 of `timestamp.status.body`. Amounts are minor units
 * as decimal strings. `request_id` is the idempotency key: a repeat gets the first answer.
 * Statement: CSV, UTC, minor units.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { HmacCredentials } from '../credentials.ts';
import { hmacSha256, signaturesEqual } from '../signing.ts';
import { chargeCard, refundPayment, sameRequest } from './card.ts';
import type { Answer, SandboxContext } from './core.ts';
import { BadField, currency, id, int, minorString, obj, parseJsonFields, text } from './fields.ts';
import type { PaymentEntry, RefundEntry, SandboxDeclineReason } from './journal.ts';
import { SIGNATURE_SKEW_MS_MAX } from './limits.ts';
import { statementRows, type StatementFile, type StatementRow } from './statement.ts';

export const ALPHA_TIME_ZONE_OFFSET_MINUTES = 0;
export const ALPHA_FEES = { bps: 190, fixedMinor: 0n };

function declineCode(reason: SandboxDeclineReason | null): string | null {
  switch (reason) {
    case null:
      return null;
    case 'insufficient_funds':
      return '51';
    case 'do_not_honour':
      return '05';
    case 'expired_card':
      return '54';
    case 'payer_cancelled':
    case 'merchant_closed':
      return '17';
    default: {
      const unreachable: never = reason;
      throw new Error(`unknown decline ${String(unreachable)}`);
    }
  }
}

function paymentBody(p: PaymentEntry): string {
  const refunded = p.refundedMinor > 0n;
  const status = p.state === 'declined' ? 'DECLINED' : refunded ? (p.refundedMinor === p.amountMinor ? 'REFUNDED' : 'PARTIALLY_REFUNDED') : 'CAPTURED';
  return JSON.stringify({
    id: p.reference,
    request_id: p.requestId,
    merchant_reference: p.merchantRef,
    status,
    decline_code: declineCode(p.declineReason),
    amount_minor: p.amountMinor.toString(),
    refunded_minor: p.refundedMinor.toString(),
    currency: p.currency,
    created_at: new Date(p.createdAtMs).toISOString(),
  });
}

function refundBody(r: RefundEntry): string {
  return JSON.stringify({
    id: r.reference,
    request_id: r.requestId,
    payment_id: r.paymentReference,
    status: r.state === 'refunded' ? 'SUCCEEDED' : 'FAILED',
    failure_code: r.rejectReason,
    amount_minor: r.amountMinor.toString(),
    currency: r.currency,
  });
}

export function registerAlpha(app: FastifyInstance, ctx: SandboxContext, credentials: HmacCredentials): void {
  const answer = (statusCode: number, body: string): Answer => {
    const ts = String(ctx.clock.nowMs());
    const signature = hmacSha256(credentials.secret, `${ts}.${statusCode}.${body}`, 'hex');
    return { statusCode, contentType: 'application/json', headers: { 'x-alpha-timestamp': ts, 'x-alpha-signature': signature }, body };
  };
  const error = (statusCode: number, code: string, message: string) => answer(statusCode, JSON.stringify({ error: { code, message } }));
  const unavailable = (statusCode: number) => error(statusCode, 'service_unavailable', 'try again later');

  /** Authenticates, then runs `handle` on the parsed body; bad input answers 4xx and charges nothing. */
  const guarded = (req: FastifyRequest, handle: (body: string) => Answer): Answer => {
    const body = typeof req.body === 'string' ? req.body : '';
    const ts = req.headers['x-alpha-timestamp'];
    const sig = req.headers['x-alpha-signature'];
    if (req.headers['x-alpha-key-id'] !== credentials.keyId || typeof ts !== 'string' || typeof sig !== 'string') return error(401, 'unauthenticated', 'missing key id or signature');
    const expected = hmacSha256(credentials.secret, `${ts}.${req.method}.${req.url}.${body}`, 'hex');
    if (!signaturesEqual(expected, sig)) return error(401, 'invalid_signature', 'signature does not match');
    if (!(Math.abs(ctx.clock.nowMs() - Number(ts)) <= SIGNATURE_SKEW_MS_MAX)) return error(401, 'stale_request', 'timestamp outside the allowed window');
    try {
      return handle(body);
    } catch (err) {
      if (err instanceof BadField) return error(400, 'invalid_request', err.message);
      throw err;
    }
  };

  app.post('/v2/payments', (req, reply) =>
    ctx.apiCall(reply, unavailable, () =>
      guarded(req, (raw) => {
        const b = parseJsonFields(raw);
        const card = obj(b, 'card');
        const p = {
          requestId: id(b, 'request_id'),
          merchantRef: id(b, 'merchant_reference'),
          amountMinor: minorString(b, 'amount_minor'),
          currency: currency(b, 'currency'),
          token: id(card, 'token'),
          expiryMonth: int(card, 'exp_month', 1, 12),
          expiryYear: int(card, 'exp_year', 2000, 2100),
          fingerprint: '',
        };
        text(b, 'description');
        p.fingerprint = JSON.stringify([p.merchantRef, p.amountMinor.toString(), p.currency, p.token]);
        const existing = ctx.journal.payment(p.requestId);
        if (existing !== undefined) {
          if (!sameRequest(existing, p.fingerprint)) return error(409, 'idempotency_conflict', 'request_id was used for a different request');
          return answer(200, existing.firstAnswer as string);
        }
        if (ctx.journal.isClosed(p.requestId)) return error(409, 'request_closed', 'request_id was closed by a status query');
        const entry = chargeCard(ctx, p, 'pay_');
        entry.firstAnswer = paymentBody(entry);
        return answer(201, entry.firstAnswer as string);
      }),
    ),
  );

  app.get('/v2/payments', (req, reply) =>
    ctx.apiCall(reply, unavailable, () =>
      guarded(req, () => {
        const q = req.query as Record<string, unknown>;
        const entry = ctx.journal.paymentOrClose(id(q, 'request_id'));
        return entry === undefined ? error(404, 'not_found', 'no payment with this request_id') : answer(200, paymentBody(entry));
      }),
    ),
  );

  app.post('/v2/refunds', (req, reply) =>
    ctx.apiCall(reply, unavailable, () =>
      guarded(req, (raw) => {
        const b = parseJsonFields(raw);
        const r = { requestId: id(b, 'request_id'), paymentReference: id(b, 'payment_id'), amountMinor: minorString(b, 'amount_minor'), currency: currency(b, 'currency'), fingerprint: '' };
        r.fingerprint = JSON.stringify([r.paymentReference, r.amountMinor.toString(), r.currency]);
        const existing = ctx.journal.refund(r.requestId);
        if (existing !== undefined) {
          if (!sameRequest(existing, r.fingerprint)) return error(409, 'idempotency_conflict', 'request_id was used for a different request');
          return answer(200, existing.firstAnswer as string);
        }
        const entry = refundPayment(ctx, r, 'ref_');
        entry.firstAnswer = refundBody(entry);
        return answer(201, entry.firstAnswer as string);
      }),
    ),
  );
}

function alphaStatus(row: StatementRow): string {
  switch (row.state) {
    case 'settled':
      return 'CAPTURED';
    case 'refunded':
      return 'REFUNDED';
    case 'failed':
      return 'FAILED';
    default: {
      const unreachable: never = row.state;
      throw new Error(`unknown state ${String(unreachable)}`);
    }
  }
}

export function alphaStatement(ctx: SandboxContext, date: string): StatementFile {
  const { rows, discrepancies } = statementRows(ctx, date, ALPHA_TIME_ZONE_OFFSET_MINUTES);
  const lines = ['id,request_id,merchant_reference,type,status,amount_minor,currency,fee_minor,booked_at'];
  for (const r of rows) {
    lines.push([r.reference, r.requestId, r.merchantRef, r.kind === 'payment' ? 'PAYMENT' : 'REFUND', alphaStatus(r), r.amountMinor.toString(), r.currency, r.feeMinor.toString(), new Date(r.bookedAtMs).toISOString()].join(','));
  }
  return { date, fileName: `alpha-settlement-${date.replaceAll('-', '')}.csv`, content: `${lines.join('\n')}\n`, rows, discrepancies };
}
