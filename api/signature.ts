/**
 * The merchant request signature (v1), shared by the server and by clients:
 *
 *   v1 = hex(HMAC-SHA256(secret, timestamp + "\n" + nonce + "\n" + METHOD + "\n" + pathWithQuery + "\n" + hex(SHA-256(rawBody))))
 *
 * sent as `X-Paystream-Signature: v1=<hex>` beside X-Paystream-Key, X-Paystream-Timestamp (unix
 * seconds) and X-Paystream-Nonce. Signing the raw bytes (not re-serialised JSON) means any change
 * to the body, the path, the query, the method, the time or the nonce breaks the signature.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_VERSION = 'v1';
const DIGEST_BYTES = 32;

export interface SignedParts {
  timestamp: string;
  nonce: string;
  method: string;
  pathWithQuery: string;
  body: Buffer | string;
}

export function bodyDigest(body: Buffer | string): string {
  return createHash('sha256').update(body).digest('hex');
}

export function canonicalString(parts: SignedParts, digest = bodyDigest(parts.body)): string {
  return `${parts.timestamp}\n${parts.nonce}\n${parts.method.toUpperCase()}\n${parts.pathWithQuery}\n${digest}`;
}

export function sign(secret: string, parts: SignedParts, digest?: string): string {
  return createHmac('sha256', secret).update(canonicalString(parts, digest)).digest('hex');
}

/** The four headers a client sends for `parts`. */
export function signatureHeaders(keyId: string, secret: string, parts: SignedParts): Record<string, string> {
  return {
    'x-paystream-key': keyId,
    'x-paystream-timestamp': parts.timestamp,
    'x-paystream-nonce': parts.nonce,
    'x-paystream-signature': `${SIGNATURE_VERSION}=${sign(secret, parts)}`,
  };
}

/** The 32 signature bytes of a `v1=<64 hex>` header value, or undefined when it is malformed. */
export function parseSignatureHeader(value: string): Buffer | undefined {
  const match = /^v1=([0-9a-f]{64})$/.exec(value);
  return match?.[1] === undefined ? undefined : Buffer.from(match[1], 'hex');
}

/** Constant-time comparison of the expected HMAC with the presented one (both 32 bytes). */
export function signatureMatches(secret: string, parts: SignedParts, presented: Buffer, digest?: string): boolean {
  const expected = createHmac('sha256', secret).update(canonicalString(parts, digest)).digest();
  return presented.length === DIGEST_BYTES && timingSafeEqual(expected, presented);
}
