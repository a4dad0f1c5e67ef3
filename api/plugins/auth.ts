/**
 * Signature authentication of merchant requests (scheme in ../signature.ts). Registered inside
 * the /v1 scope (not wrapped in fastify-plugin), so only merchant routes require it. Checks, in
 * order: headers present and well-formed, timestamp within SIGNATURE_SKEW_S_MAX, HMAC in constant
 * time; the nonce is claimed only after that, by admission (./admission.ts), so an attacker
 * without the secret cannot burn a merchant's nonces. An unknown key and a wrong signature are one
 * answer, and an unknown key still costs an HMAC. (Known keys are served from a cache and unknown
 * ones from the database, so timing can still hint whether a key id exists; key ids are not
 * secrets, the secret is.)
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Counter } from 'prom-client';
import { ApiError, guarded } from '../errors.ts';
import { KEY_ID_LENGTH_MAX, NONCE_LENGTH_MAX, NONCE_LENGTH_MIN, SIGNATURE_SKEW_S_MAX } from '../limits.ts';
import type { Merchant, MerchantStore } from '../merchants/store.ts';
import { bodyDigest, parseSignatureHeader, signatureMatches } from '../signature.ts';

declare module 'fastify' {
  interface FastifyRequest {
    merchant: Merchant | undefined;
    /** sha256 hex of the raw body, computed once for the signature and idempotency. */
    bodyDigest: string;
    /** X-Paystream-Nonce of a request whose signature matched; admission claims it. */
    nonce: string;
  }
}

export interface AuthOptions {
  merchants: MerchantStore;
  nowMs: () => number;
  failures: Counter<'reason'>;
}

const KEY_ID_PATTERN = new RegExp(`^[A-Za-z0-9_-]{1,${KEY_ID_LENGTH_MAX}}$`);
const NONCE_PATTERN = new RegExp(`^[\\x21-\\x7e]{${NONCE_LENGTH_MIN},${NONCE_LENGTH_MAX}}$`);
const TIMESTAMP_PATTERN = /^\d{1,12}$/;
/** Compared against when the key id is unknown, so that path costs the same HMAC. */
const DECOY_SECRET = 'decoy-secret-for-unknown-keys';

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

export function merchantOf(request: FastifyRequest): Merchant {
  if (request.merchant === undefined) throw new ApiError('internal', 'route reached without authentication');
  return request.merchant;
}

export async function registerAuth(app: FastifyInstance, options: AuthOptions): Promise<void> {
  app.decorateRequest('merchant', undefined);
  app.decorateRequest('bodyDigest', '');
  app.decorateRequest('nonce', '');
  const reject = (reason: 'auth_header_missing' | 'auth_header_invalid' | 'timestamp_skew' | 'signature_invalid', detail: string): never => {
    options.failures.inc({ reason });
    throw new ApiError(reason, detail);
  };

  app.addHook('preValidation', async (request) => {
    const keyId = header(request, 'x-paystream-key');
    const timestamp = header(request, 'x-paystream-timestamp');
    const nonce = header(request, 'x-paystream-nonce');
    const signatureValue = header(request, 'x-paystream-signature');
    if (keyId === undefined || timestamp === undefined || nonce === undefined || signatureValue === undefined) {
      return reject('auth_header_missing', 'X-Paystream-Key, X-Paystream-Timestamp, X-Paystream-Nonce and X-Paystream-Signature are all required');
    }
    const presented = parseSignatureHeader(signatureValue);
    if (!KEY_ID_PATTERN.test(keyId) || !TIMESTAMP_PATTERN.test(timestamp) || !NONCE_PATTERN.test(nonce) || presented === undefined) {
      return reject('auth_header_invalid', `the key id, a unix timestamp in seconds, a nonce of ${NONCE_LENGTH_MIN}-${NONCE_LENGTH_MAX} printable characters and a v1=<hex> signature are required`);
    }
    const skewS = Math.abs(options.nowMs() / 1000 - Number(timestamp));
    if (skewS > SIGNATURE_SKEW_S_MAX) return reject('timestamp_skew', `the timestamp is ${Math.round(skewS)} s from the server clock; at most ${SIGNATURE_SKEW_S_MAX} s is accepted`);

    const merchant = await guarded('postgres', options.merchants.byKeyId(keyId));
    const digest = bodyDigest(request.rawBody ?? Buffer.alloc(0));
    const parts = { timestamp, nonce, method: request.method, pathWithQuery: request.url, body: '' };
    const matches = signatureMatches(merchant?.secret.reveal() ?? DECOY_SECRET, parts, presented, digest);
    if (merchant === undefined || !matches) return reject('signature_invalid', 'the key is unknown or the signature does not match the request');
    request.merchant = merchant;
    request.nonce = nonce;
    request.bodyDigest = digest;
  });
}
