/**
 * acq_alpha's HTTP client: signs every request and verifies every answer's signature before
 * anything reads it (an unverifiable answer is never a success).
 * Request signature: hex HMAC-SHA256 of `timestamp.METHOD.path.body`; answer signature: hex
 * HMAC-SHA256 of `timestamp.status.body` (acq_alpha API guide, "Signing").
 */
import type { HmacCredentials } from '../credentials.ts';
import { exchange, header } from '../http.ts';
import { badSignature, malformed, rejected, unavailable } from '../outcome.ts';
import { hmacSha256, signaturesEqual } from '../signing.ts';
import type { CallOptions } from '../types.ts';

export interface AlphaConfig {
  baseUrl: string;
  credentials: HmacCredentials;
  timeoutMs: number;
  clock?: { nowMs(): number };
}

export interface AlphaAnswer {
  statusCode: number;
  json: Record<string, unknown>;
}

export class AlphaClient {
  readonly #config: AlphaConfig;

  constructor(config: AlphaConfig) {
    this.#config = config;
  }

  /** A verified 2xx or 404 answer; 5xx, 4xx, bad signatures and unreadable bodies reject with a ChannelError. */
  async call(method: 'GET' | 'POST', path: string, body: string | undefined, options?: CallOptions): Promise<AlphaAnswer> {
    const { credentials, baseUrl, timeoutMs } = this.#config;
    const ts = String(this.#now());
    const signature = hmacSha256(credentials.secret, `${ts}.${method}.${path}.${body ?? ''}`, 'hex');
    const headers: Record<string, string> = { 'x-alpha-key-id': credentials.keyId, 'x-alpha-timestamp': ts, 'x-alpha-signature': signature };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const answer = await exchange('acq_alpha', `${baseUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body }) }, timeoutMs, options);
    if (answer.statusCode >= 500) throw unavailable('acq_alpha', answer.statusCode);
    const answerTs = header(answer.headers, 'x-alpha-timestamp');
    const answerSig = header(answer.headers, 'x-alpha-signature');
    if (answerTs === undefined || answerSig === undefined) throw badSignature('acq_alpha', `answer ${answer.statusCode} is not signed`);
    if (!signaturesEqual(hmacSha256(credentials.secret, `${answerTs}.${answer.statusCode}.${answer.body}`, 'hex'), answerSig)) {
      throw badSignature('acq_alpha', `answer ${answer.statusCode} signature does not verify`);
    }
    let json: unknown;
    try {
      json = JSON.parse(answer.body);
    } catch (err) {
      throw malformed('acq_alpha', 'answer is not JSON', err);
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw malformed('acq_alpha', 'answer is not a JSON object');
    const obj = json as Record<string, unknown>;
    if (answer.statusCode >= 400 && answer.statusCode !== 404) {
      const error = obj.error as { code?: unknown } | undefined;
      throw rejected('acq_alpha', answer.statusCode, typeof error?.code === 'string' ? error.code : 'unknown');
    }
    return { statusCode: answer.statusCode, json: obj };
  }

  #now(): number {
    return this.#config.clock?.nowMs() ?? Date.now();
  }
}
