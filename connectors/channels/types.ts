/**
 * The one seam between paystream and a payment channel. Every acquirer (sandbox or real) is
 * one adapter implementing `ChannelAdapter`; everything channel-specific (wire format, amount
 * format, signatures, status words, statement layout) stays behind it.
 *
 * Outcome rules the channel executor relies on:
 * - a decline is a result (`declined`), never an exception;
 * - `error` means the channel surely did not charge (safe to fail over);
 * - `ambiguous` means it may have charged: resolve with `queryStatus` before any retry or failover;
 * - a bad signature on a response is never a success: it comes back as `ambiguous` with code
 *   `bad_signature`, because the request did reach the channel.
 */
import { PaystreamError } from '../../lib/errors.ts';
import type { ChannelNotification } from '../../schemas/types.ts';

export type ChannelId = 'acq_alpha' | 'acq_beta' | 'wallet_a' | 'wallet_b';
export const CHANNEL_IDS = ['acq_alpha', 'acq_beta', 'wallet_a', 'wallet_b'] as const satisfies readonly ChannelId[];

// ---------------------------------------------------------------------------------------------
// Errors

export type ChannelErrorCode =
  /** No answer in time (or the connection dropped after the request went out): may have charged. */
  | 'channel_timeout'
  /** Refused before processing (connection refused, 5xx, outage): surely not charged. */
  | 'channel_unavailable'
  /** A signature (response, callback) did not verify. */
  | 'bad_signature'
  /** The answer could not be understood (not JSON/form, missing fields, unknown status word). */
  | 'malformed_response'
  /** The channel rejected the request as invalid (4xx) or we refused to send it: surely not charged. */
  | 'invalid_request'
  /** The channel does not offer this operation (e.g. notifications for a synchronous card acquirer). */
  | 'unsupported';

/** Whether money may have moved when this error happened. */
export type ChargeCertainty = 'not_charged' | 'unknown';

export class ChannelError extends PaystreamError<ChannelErrorCode> {
  readonly channelId: ChannelId;
  readonly charge: ChargeCertainty;

  constructor(
    channelId: ChannelId,
    code: ChannelErrorCode,
    message: string,
    options: { charge: ChargeCertainty; retriable?: boolean; cause?: unknown },
  ) {
    super(code, `${channelId}: ${message}`, { retriable: options.retriable ?? defaultRetriable(code), cause: options.cause });
    this.name = 'ChannelError';
    this.channelId = channelId;
    this.charge = options.charge;
  }
}

function defaultRetriable(code: ChannelErrorCode): boolean {
  switch (code) {
    case 'channel_timeout':
    case 'channel_unavailable':
      return true;
    case 'bad_signature':
    case 'malformed_response':
    case 'invalid_request':
    case 'unsupported':
      return false;
    default: {
      const unreachable: never = code;
      throw new Error(`unknown channel error code ${String(unreachable)}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Requests

/** What the payer pays with. Card data is a token the vault issued; wallets need nothing up front. */
export type PaymentInstrument =
  | { kind: 'card'; token: string; expiryMonth: number; expiryYear: number }
  | { kind: 'wallet' };

export interface CreatePaymentRequest {
  paymentId: string;
  /** `paymentId:attempt`: the idempotency key sent to the channel; the same id never charges twice. */
  attemptId: string;
  amountMinor: bigint;
  /** ISO 4217 alphabetic code. */
  currency: string;
  instrument: PaymentInstrument;
  description?: string;
}

/** Which attempt to look up; `channelReference` is used when known, `attemptId` always works. */
export interface StatusQuery {
  attemptId: string;
  channelReference?: string | null;
}

export interface RefundRequest {
  /** Idempotency key of the refund itself (e.g. `refundId`). */
  refundId: string;
  /** The attempt being refunded. */
  attemptId: string;
  channelReference: string;
  amountMinor: bigint;
  currency: string;
}

/** Per-call options; the executor passes its own deadline and cancellation. */
export interface CallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

// ---------------------------------------------------------------------------------------------
// Results

/** Our decline codes; each adapter maps the channel's own reason codes onto these. */
export type DeclineReason = 'insufficient_funds' | 'do_not_honour' | 'expired_card' | 'cancelled_by_payer' | 'other';

export interface ApprovedResult {
  status: 'approved';
  channelReference: string;
  amountMinor: bigint;
  currency: string;
}

export interface DeclinedResult {
  status: 'declined';
  reason: DeclineReason;
  /** The channel's own code, kept for operators. */
  channelReasonCode: string;
  channelReference: string | null;
}

/** Accepted, completes later (wallets): a notification or a status query tells the end. */
export interface PendingResult {
  status: 'pending';
  channelReference: string;
  /** Where to send the payer (redirect wallet) or what to show (QR payload), when there is one. */
  payerAction: { kind: 'redirect' | 'qr'; value: string } | null;
}

/** Surely not charged: safe to fail over to another channel. */
export interface ErrorResult {
  status: 'error';
  charged: false;
  error: ChannelError;
}

/** May have charged: query the channel before retrying or failing over. */
export interface AmbiguousResult {
  status: 'ambiguous';
  error: ChannelError;
}

export type PaymentResult = ApprovedResult | DeclinedResult | PendingResult | ErrorResult | AmbiguousResult;

/**
 * What the channel knows about an attempt. `not_found` means it never saw it and never will:
 * surely not charged. A request still in flight when the query ran must not charge later, so
 * an adapter answers `not_found` only when the channel makes it final (the sandbox acquirers
 * close an unknown id on query; a real acquirer's adapter would issue its technical cancel
 * by reference first).
 */
export type StatusResult =
  | ApprovedResult
  | DeclinedResult
  | PendingResult
  | { status: 'refunded'; channelReference: string; amountMinor: bigint; currency: string; refundedMinor: bigint }
  | { status: 'not_found' }
  | ErrorResult
  | AmbiguousResult;

export type RefundResult =
  | { status: 'refunded'; refundReference: string; amountMinor: bigint; currency: string }
  | { status: 'rejected'; channelReasonCode: string }
  | ErrorResult
  | AmbiguousResult;

// ---------------------------------------------------------------------------------------------
// Notifications

export type NotificationHeaders = Record<string, string | string[] | undefined>;

/** A verified notification, as published on `channel.notifications` (the API adds `receivedAtMs`). */
/** What an adapter reads off a callback; the API adds the receipt time and `source: CALLBACK`. */
export type VerifiedNotification = Omit<ChannelNotification, 'receivedAtMs' | 'source' | 'refundId'> & { refundId?: string | null };

export type NotificationVerification = { ok: true; notification: VerifiedNotification } | { ok: false; error: ChannelError };

/** How we answer the channel's callback; `accepted` stops its retries. */
export type NotificationAckKind = 'accepted' | 'rejected';

export interface NotificationAck {
  statusCode: number;
  contentType: string;
  body: string;
}

// ---------------------------------------------------------------------------------------------
// Statements

/** A normalized statement line; a superset of the `StatementLine` record the reconciliation publishes. */
export interface NormalizedStatementLine {
  channelReference: string;
  /** Our attempt id as the channel echoes it (its merchant reference), when the layout has one. */
  attemptId: string | null;
  paymentId: string | null;
  kind: 'payment' | 'refund';
  amountMinor: bigint;
  currency: string;
  feeMinor: bigint;
  /** Mapped status: SETTLED, FAILED, REFUNDED. */
  status: 'SETTLED' | 'FAILED' | 'REFUNDED';
  /** The channel's own status word, kept for operators. */
  channelStatus: string;
  bookedAtMs: number;
  /** 1-based line in the file, for exception reports. */
  lineNumber: number;
}

export interface RejectedStatementLine {
  lineNumber: number;
  raw: string;
  reason: string;
}

/** Bad lines never disappear: they come back in `rejected` with the reason. */
export interface ParsedStatement {
  channelId: ChannelId;
  /** The channel's business date (YYYY-MM-DD, in its own time zone) as the file states it. */
  statementDate: string | null;
  lines: NormalizedStatementLine[];
  rejected: RejectedStatementLine[];
}

// ---------------------------------------------------------------------------------------------
// The adapter

/** What closing an unpaid payment at the channel ended in: closed, or what it had become meanwhile. */
export type CancelResult = { status: 'cancelled' } | ApprovedResult | DeclinedResult | ErrorResult | AmbiguousResult;

export interface ChannelAdapter {
  readonly channelId: ChannelId;
  /**
   * Closes an unpaid payment so it can no longer be paid (wallets; card payments are synchronous and
   * have nothing to close). Already paid: answers with the payment's approval instead.
   */
  cancelPayment?(query: StatusQuery, options?: CallOptions): Promise<CancelResult>;
  /** Never rejects for an expected failure: declines and errors come back as results. */
  createPayment(request: CreatePaymentRequest, options?: CallOptions): Promise<PaymentResult>;
  queryStatus(query: StatusQuery, options?: CallOptions): Promise<StatusResult>;
  refund(request: RefundRequest, options?: CallOptions): Promise<RefundResult>;
  /** Raw body bytes exactly as received, and the request headers (lower-case names). */
  verifyNotification(rawBody: Buffer | string, headers: NotificationHeaders): Promise<NotificationVerification>;
  /** The answer the channel expects back for a callback. */
  notificationAck(kind: NotificationAckKind): NotificationAck;
  parseStatement(content: string): ParsedStatement;
}
