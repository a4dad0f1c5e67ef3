/**
 * Signature primitives shared by the adapters and the sandbox acquirers: HMAC-SHA256
 * (RFC 2104) and RSA-SHA256 (PKCS#1 v1.5, RFC 8017 §8.2). What each channel signs (which
 * fields, in which order) is written in that channel's own client, not here.
 */
import { createHmac, createSign, createVerify, timingSafeEqual } from 'node:crypto';
import type { Secret } from '../../lib/secret.ts';

export function hmacSha256(secret: Secret, data: string | Buffer, encoding: 'hex' | 'base64'): string {
  return createHmac('sha256', secret.reveal()).update(data).digest(encoding);
}

/** Constant-time comparison of two signature strings (different lengths simply differ). */
export function signaturesEqual(expected: string, received: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(received, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

export function rsaSha256Sign(privateKeyPem: Secret, data: string): string {
  return createSign('RSA-SHA256').update(data, 'utf8').sign(privateKeyPem.reveal(), 'base64');
}

/** False for a wrong or garbled signature; a broken key is a configuration bug and throws. */
export function rsaSha256Verify(publicKeyPem: string, data: string, signatureBase64: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(signatureBase64)) return false;
  return createVerify('RSA-SHA256').update(data, 'utf8').verify(publicKeyPem, signatureBase64, 'base64');
}

/**
 * The string redirect wallets sign: non-empty fields except the excluded ones, sorted by key
 * (code-unit order), joined as `k=v` with `&`, values unescaped.
 */
export function sortedKeyValueString(fields: Readonly<Record<string, string>>, exclude: readonly string[]): string {
  return Object.keys(fields)
    .filter((k) => !exclude.includes(k) && fields[k] !== undefined && fields[k] !== '')
    .sort()
    .map((k) => `${k}=${fields[k] ?? ''}`)
    .join('&');
}
