/**
 * The sandbox bank's payout protocol, shared by its server and our client: JSON over HTTP, each
 * request and answer signed with HMAC-SHA256 under the shared secret over `timestamp + "\n" +
 * body` (for a GET, the path in place of the body), hex in `X-Bank-Signature`, the unix-ms
 * timestamp in `X-Bank-Timestamp`.
 */
import { hmacSha256, signaturesEqual } from '../channels/signing.ts';
import type { Secret } from '../../lib/secret.ts';

export const SIGNATURE_HEADER = 'x-bank-signature';
export const TIMESTAMP_HEADER = 'x-bank-timestamp';
/** Signed messages older or newer than this are refused (replays, clock trouble). */
export const SIGNATURE_SKEW_MS = 300_000;

export interface PayoutRequest {
  payoutId: string;
  merchantId: string;
  currency: string;
  /** Minor units, as a decimal string (JSON numbers cannot carry every bigint). */
  amountMinor: string;
}

/** 200 answers of POST /v1/payouts and GET /v1/payouts/:id. */
export interface PayoutAnswer {
  payoutId: string;
  status: 'paid';
  reference: string;
}

/** 422 answer: the bank refuses this payout for good (e.g. the account is closed). */
export interface PayoutRefusal {
  error: 'invalid_account' | 'invalid_request' | 'signature_invalid';
  message: string;
}

export function sign(secret: Secret, timestamp: string, payload: string): string {
  return hmacSha256(secret, `${timestamp}\n${payload}`, 'hex');
}

export function verify(secret: Secret, timestamp: string | undefined, signature: string | undefined, payload: string, nowMs: number): boolean {
  if (timestamp === undefined || signature === undefined || !/^\d{1,15}$/.test(timestamp)) return false;
  if (Math.abs(nowMs - Number(timestamp)) > SIGNATURE_SKEW_MS) return false;
  return signaturesEqual(sign(secret, timestamp, payload), signature);
}
