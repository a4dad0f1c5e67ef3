/**
 * acq_beta, a card acquirer with a camel-case JSON API (sandbox side).
 *
 * Requests carry `authorization: BETA-HMAC-SHA256 keyId=<id>, ts=<ms>, sig=<base64>` where sig
 * is HMAC-SHA256 of `ts\nMETHOD\npath\nbody`; answers carry `beta-signature: ts=<ms>,
 * sig=<base64>` over `ts\nstatus\nbody`. Amounts are major units as strings ("12.34"); only
 * currencies with at most two decimals are accepted. `idempotencyKey` makes repeats return
 * the first answer. Statement: semicolon-separated, UTC+01:00 wall time, major units with
 * two decimals, gross/fee/net.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { HmacCredentials } from '../credentials.ts';
import { currencyExponent, formatMajor, parseMajor } from '../money.ts';
import { hmacSha256, signaturesEqual } from '../signing.ts';
import { chargeCard, refundPayment, sameRequest } from './card.ts';
import { localDateTime, type Answer, type SandboxContext } from './core.ts';
import { BadField, currency, id, obj, parseJsonFields, positiveAmount, text, type Fields } from './fields.ts';
import type { PaymentEntry, RefundEntry, SandboxDeclineReason } from './journal.ts';
import { SIGNATURE_SKEW_MS_MAX } from './limits.ts';
import { statementRows, type StatementFile, type StatementRow } from './statement.ts';

export const BETA_TIME_ZONE_OFFSET_MINUTES = 60;
export const BETA_FEES = { bps: 120, fixedMinor: 10n };

function refusalCode(reason: SandboxDeclineReason | null): string | null {
  switch (reason) {
    case null:
      return null;
    case 'insufficient_funds':
      return 'NSF';
    case 'do_not_honour':
      return 'DNH';
    case 'expired_card':
      return 'EXP';
    case 'payer_cancelled':
    case 'merchant_closed':
      return 'CAN';
    default: {
      const unreachable: never = reason;
      throw new Error(`unknown decline ${String(unreachable)}`);
    }
  }
}

const major = (amountMinor: bigint, cur: string) => formatMajor(amountMinor, currencyExponent(cur) ?? 2);

function money(o: Fields, key: string): { amountMinor: bigint; currency: string } {
  const m = obj(o, key);
  const cur = currency(m, 'currency');
  const exponent = currencyExponent(cur);
  if (exponent === undefined || exponent > 2) throw new BadField(`${key}.currency`, 'a currency with at most two decimals');
  const value = m.value;
  return { amountMinor: positiveAmount(`${key}.value`, typeof value === 'string' ? parseMajor(value, exponent) : undefined), currency: cur };
}

function authorisationBody(p: PaymentEntry): string {
  const resultCode = p.state === 'declined' ? 'Refused' : p.refundedMinor === 0n ? 'Authorised' : p.refundedMinor === p.amountMinor ? 'Refunded' : 'PartiallyRefunded';
  return JSON.stringify({
    pspReference: p.reference,
    idempotencyKey: p.requestId,
    orderRef: p.merchantRef,
    resultCode,
    refusalReasonCode: refusalCode(p.declineReason),
    money: { value: major(p.amountMinor, p.currency), currency: p.currency },
    refundedValue: major(p.refundedMinor, p.currency),
  });
}

function refundBody(r: RefundEntry): string {
  return JSON.stringify({
    refundReference: r.reference,
    idempotencyKey: r.requestId,
    pspReference: r.paymentReference,
    status: r.state === 'refunded' ? 'Received' : 'Rejected',
    rejectReason: r.rejectReason,
    money: { value: major(r.amountMinor, r.currency), currency: r.currency },
  });
}

/** `a=b, c=d` → {a: 'b', c: 'd'} */
export function parseParams(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(',')) {
    const at = part.indexOf('=');
    if (at > 0) out[part.slice(0, at).trim()] = part.slice(at + 1).trim();
  }
  return out;
}

export function registerBeta(app: FastifyInstance, ctx: SandboxContext, credentials: HmacCredentials): void {
  const answer = (statusCode: number, body: string): Answer => {
    const ts = String(ctx.clock.nowMs());
    const sig = hmacSha256(credentials.secret, `${ts}\n${statusCode}\n${body}`, 'base64');
    return { statusCode, contentType: 'application/json', headers: { 'beta-signature': `ts=${ts}, sig=${sig}` }, body };
  };
  const error = (statusCode: number, errorCode: string, message: string) => answer(statusCode, JSON.stringify({ errorCode, message }));
  const unavailable = (statusCode: number) => error(statusCode, 'SERVICE_UNAVAILABLE', 'temporarily unavailable');

  const guarded = (req: FastifyRequest, handle: (body: string) => Answer): Answer => {
    const body = typeof req.body === 'string' ? req.body : '';
    const auth = req.headers.authorization ?? '';
    if (!auth.startsWith('BETA-HMAC-SHA256 ')) return error(401, 'UNAUTHENTICATED', 'missing authorization');
    const params = parseParams(auth.slice('BETA-HMAC-SHA256 '.length));
    if (params.keyId !== credentials.keyId || params.ts === undefined || params.sig === undefined) return error(401, 'UNAUTHENTICATED', 'bad authorization');
    const expected = hmacSha256(credentials.secret, `${params.ts}\n${req.method}\n${req.url}\n${body}`, 'base64');
    if (!signaturesEqual(expected, params.sig)) return error(401, 'INVALID_SIGNATURE', 'signature does not match');
    if (!(Math.abs(ctx.clock.nowMs() - Number(params.ts)) <= SIGNATURE_SKEW_MS_MAX)) return error(401, 'STALE_REQUEST', 'timestamp outside the allowed window');
    try {
      return handle(body);
    } catch (err) {
      if (err instanceof BadField) return error(422, 'VALIDATION', err.message);
      throw err;
    }
  };

  app.post('/api/authorisations', (req, reply) =>
    ctx.apiCall(reply, unavailable, () =>
      guarded(req, (raw) => {
        const b = parseJsonFields(raw);
        const card = obj(b, 'card');
        const m = money(b, 'money');
        const expiry = /^(\d{2})\/(\d{4})$/.exec(typeof card.expiry === 'string' ? card.expiry : '');
        if (expiry === null) throw new BadField('card.expiry', 'MM/YYYY');
        const p = {
          requestId: id(b, 'idempotencyKey'),
          merchantRef: id(b, 'orderRef'),
          ...m,
          token: id(card, 'token'),
          expiryMonth: Number(expiry[1]),
          expiryYear: Number(expiry[2]),
          fingerprint: '',
        };
        text(b, 'shopperStatement');
        p.fingerprint = JSON.stringify([p.merchantRef, p.amountMinor.toString(), p.currency, p.token]);
        const existing = ctx.journal.payment(p.requestId);
        if (existing !== undefined) {
          if (!sameRequest(existing, p.fingerprint)) return error(422, 'IDEMPOTENCY_KEY_REUSED', 'idempotencyKey was used for a different request');
          return answer(200, existing.firstAnswer as string);
        }
        if (ctx.journal.isClosed(p.requestId)) return error(422, 'REQUEST_CLOSED', 'idempotencyKey was closed by a status query');
        const entry = chargeCard(ctx, p, 'PSP');
        entry.firstAnswer = authorisationBody(entry);
        return answer(200, entry.firstAnswer as string);
      }),
    ),
  );

  app.get('/api/authorisations/:key', (req, reply) =>
    ctx.apiCall(reply, unavailable, () =>
      guarded(req, () => {
        const entry = ctx.journal.paymentOrClose(id(req.params as Fields, 'key'));
        return entry === undefined ? error(404, 'NOT_FOUND', 'unknown idempotencyKey') : answer(200, authorisationBody(entry));
      }),
    ),
  );

  app.post('/api/refunds', (req, reply) =>
    ctx.apiCall(reply, unavailable, () =>
      guarded(req, (raw) => {
        const b = parseJsonFields(raw);
        const m = money(b, 'money');
        const r = { requestId: id(b, 'idempotencyKey'), paymentReference: id(b, 'pspReference'), ...m, fingerprint: '' };
        r.fingerprint = JSON.stringify([r.paymentReference, r.amountMinor.toString(), r.currency]);
        const existing = ctx.journal.refund(r.requestId);
        if (existing !== undefined) {
          if (!sameRequest(existing, r.fingerprint)) return error(422, 'IDEMPOTENCY_KEY_REUSED', 'idempotencyKey was used for a different request');
          return answer(200, existing.firstAnswer as string);
        }
        const entry = refundPayment(ctx, r, 'RFD');
        entry.firstAnswer = refundBody(entry);
        return answer(200, entry.firstAnswer as string);
      }),
    ),
  );
}

function betaRecordType(row: StatementRow): string {
  switch (row.state) {
    case 'settled':
      return 'Settled';
    case 'refunded':
      return 'Refunded';
    case 'failed':
      return 'Failed';
    default: {
      const unreachable: never = row.state;
      throw new Error(`unknown state ${String(unreachable)}`);
    }
  }
}

export function betaStatement(ctx: SandboxContext, date: string): StatementFile {
  const { rows, discrepancies } = statementRows(ctx, date, BETA_TIME_ZONE_OFFSET_MINUTES);
  const two = (minor: bigint, cur: string) => formatMajor(minor, currencyExponent(cur) ?? 2, 2);
  const lines = [`#BETA SETTLEMENT;date=${date};tz=+01:00`, 'Booking Date;Psp Reference;Merchant Reference;Idempotency Key;Record Type;Currency;Gross;Fee;Net'];
  for (const r of rows) {
    lines.push([localDateTime(r.bookedAtMs, BETA_TIME_ZONE_OFFSET_MINUTES), r.reference, r.merchantRef, r.requestId, betaRecordType(r), r.currency, two(r.amountMinor, r.currency), two(r.feeMinor, r.currency), two(r.amountMinor - r.feeMinor, r.currency)].join(';'));
  }
  return { date, fileName: `beta_settlement_${date}.txt`, content: `${lines.join('\n')}\n`, rows, discrepancies };
}
