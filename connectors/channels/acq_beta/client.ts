/**
 * acq_beta's HTTP client. Requests: `authorization: BETA-HMAC-SHA256 keyId=<id>, ts=<ms>,
 * sig=<base64 HMAC-SHA256 of ts\nMETHOD\npath\nbody>`. Answers: `beta-signature: ts=<ms>,
 * sig=<base64 HMAC-SHA256 of ts\nstatus\nbody>`, verified before anything reads the body.
 */
import type { HmacCredentials } from '../credentials.ts';
import { exchange, header } from '../http.ts';
import { badSignature, malformed, rejected, unavailable } from '../outcome.ts';
import { hmacSha256, signaturesEqual } from '../signing.ts';
import type { CallOptions } from '../types.ts';

export interface BetaConfig {
  baseUrl: string;
  credentials: HmacCredentials;
  timeoutMs: number;
  clock?: { nowMs(): number };
}

export interface BetaAnswer {
  statusCode: number;
  json: Record<string, unknown>;
}

function params(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(',')) {
    const at = part.indexOf('=');
    if (at > 0) out[part.slice(0, at).trim()] = part.slice(at + 1).trim();
  }
  return out;
}

export class BetaClient {
  readonly #config: BetaConfig;

  constructor(config: BetaConfig) {
    this.#config = config;
  }

  async call(method: 'GET' | 'POST', path: string, body: string | undefined, options?: CallOptions): Promise<BetaAnswer> {
    const { credentials, baseUrl, timeoutMs } = this.#config;
    const ts = String(this.#config.clock?.nowMs() ?? Date.now());
    const sig = hmacSha256(credentials.secret, `${ts}\n${method}\n${path}\n${body ?? ''}`, 'base64');
    const headers: Record<string, string> = { authorization: `BETA-HMAC-SHA256 keyId=${credentials.keyId}, ts=${ts}, sig=${sig}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const answer = await exchange('acq_beta', `${baseUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body }) }, timeoutMs, options);
    if (answer.statusCode >= 500) throw unavailable('acq_beta', answer.statusCode);
    const p = params(header(answer.headers, 'beta-signature') ?? '');
    if (p.ts === undefined || p.sig === undefined) throw badSignature('acq_beta', `answer ${answer.statusCode} is not signed`);
    if (!signaturesEqual(hmacSha256(credentials.secret, `${p.ts}\n${answer.statusCode}\n${answer.body}`, 'base64'), p.sig)) {
      throw badSignature('acq_beta', `answer ${answer.statusCode} signature does not verify`);
    }
    let json: unknown;
    try {
      json = JSON.parse(answer.body);
    } catch (err) {
      throw malformed('acq_beta', 'answer is not JSON', err);
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw malformed('acq_beta', 'answer is not a JSON object');
    const obj = json as Record<string, unknown>;
    if (answer.statusCode >= 400 && answer.statusCode !== 404) throw rejected('acq_beta', answer.statusCode, typeof obj.errorCode === 'string' ? obj.errorCode : 'unknown');
    return { statusCode: answer.statusCode, json: obj };
  }
}
