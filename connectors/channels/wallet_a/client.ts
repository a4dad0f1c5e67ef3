/**
 * wallet_a's HTTP client and callback verifier. Requests carry `wallet-key-id`,
 * `wallet-timestamp` (seconds), `wallet-nonce`, `wallet-signature` = hex HMAC-SHA256 of
 * `METHOD\npath\ntimestamp\nnonce\nbody\n`. Answers and callbacks are signed over
 * `timestamp\nnonce\nbody\n` and verified before anything reads them.
 */
import { randomBytes } from 'node:crypto';
import type { HmacCredentials } from '../credentials.ts';
import { exchange, header } from '../http.ts';
import { badSignature, malformed, rejected, unavailable } from '../outcome.ts';
import { hmacSha256, signaturesEqual } from '../signing.ts';
import type { CallOptions } from '../types.ts';
import { WALLET_A_SIGNATURE_SKEW_MS_MAX } from './limits.ts';

export interface WalletAConfig {
  baseUrl: string;
  credentials: HmacCredentials;
  timeoutMs: number;
  /** paystream's notifications endpoint for this channel; the wallet POSTs callbacks there. */
  notifyUrl: string;
  clock?: { nowMs(): number };
}

export interface WalletAAnswer {
  statusCode: number;
  json: Record<string, unknown>;
}

export type SignedParts = { keyId: string | undefined; timestamp: string | undefined; nonce: string | undefined; signature: string | undefined };

/** Verifies a wallet_a signature over an answer or callback body; false for anything off. */
export function verifyWalletASignature(credentials: HmacCredentials, parts: SignedParts, body: string, nowMs: number): boolean {
  const { keyId, timestamp, nonce, signature } = parts;
  if (keyId !== credentials.keyId || timestamp === undefined || nonce === undefined || signature === undefined) return false;
  if (!signaturesEqual(hmacSha256(credentials.secret, `${timestamp}\n${nonce}\n${body}\n`, 'hex'), signature)) return false;
  return Math.abs(nowMs - Number(timestamp) * 1000) <= WALLET_A_SIGNATURE_SKEW_MS_MAX;
}

export function parseJsonObject(text: string, what: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw malformed('wallet_a', `${what} is not JSON`, err);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw malformed('wallet_a', `${what} is not a JSON object`);
  return json as Record<string, unknown>;
}

export class WalletAClient {
  readonly #config: WalletAConfig;

  constructor(config: WalletAConfig) {
    this.#config = config;
  }

  nowMs(): number {
    return this.#config.clock?.nowMs() ?? Date.now();
  }

  async call(method: 'GET' | 'POST', path: string, body: string | undefined, options?: CallOptions): Promise<WalletAAnswer> {
    const { credentials, baseUrl, timeoutMs } = this.#config;
    const ts = String(Math.floor(this.nowMs() / 1000));
    const nonce = randomBytes(12).toString('hex');
    const headers: Record<string, string> = {
      'wallet-key-id': credentials.keyId,
      'wallet-timestamp': ts,
      'wallet-nonce': nonce,
      'wallet-signature': hmacSha256(credentials.secret, `${method}\n${path}\n${ts}\n${nonce}\n${body ?? ''}\n`, 'hex'),
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const answer = await exchange('wallet_a', `${baseUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body }) }, timeoutMs, options);
    if (answer.statusCode >= 500) throw unavailable('wallet_a', answer.statusCode);
    const parts: SignedParts = {
      keyId: header(answer.headers, 'wallet-key-id'),
      timestamp: header(answer.headers, 'wallet-timestamp'),
      nonce: header(answer.headers, 'wallet-nonce'),
      signature: header(answer.headers, 'wallet-signature'),
    };
    if (!verifyWalletASignature(credentials, parts, answer.body, this.nowMs())) throw badSignature('wallet_a', `answer ${answer.statusCode} signature does not verify`);
    const json = parseJsonObject(answer.body, 'answer');
    if (answer.statusCode >= 400 && answer.statusCode !== 404) throw rejected('wallet_a', answer.statusCode, typeof json.code === 'string' ? json.code : 'unknown');
    return { statusCode: answer.statusCode, json };
  }
}
