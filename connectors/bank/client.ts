/**
 * Our side of the bank's payout protocol: pay and ask, signatures checked both ways. Every answer
 * is reduced to what decides the payout's fate: paid, refused for good, surely not paid
 * (unavailable), or unknown (a timeout or an unreadable answer: the bank must be asked first).
 */
import type { Secret } from '../../lib/secret.ts';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, verify, type PayoutAnswer, type PayoutRefusal, type PayoutRequest } from './protocol.ts';

export type PayResult = { kind: 'paid'; reference: string } | { kind: 'refused'; reason: string } | { kind: 'unavailable'; reason: string } | { kind: 'unknown'; reason: string };
export type StatusResult = { kind: 'paid'; reference: string } | { kind: 'not_found' } | { kind: 'unavailable'; reason: string } | { kind: 'unknown'; reason: string };

export interface BankSettings {
  url: string;
  secret: Secret;
  timeoutMs: number;
}

export class BankClient {
  readonly #settings: BankSettings;

  constructor(settings: BankSettings) {
    this.#settings = settings;
  }

  async pay(request: PayoutRequest): Promise<PayResult> {
    const body = JSON.stringify(request);
    const answer = await this.#call('POST', '/v1/payouts', body, body);
    if (answer.kind !== 'answer') return answer;
    if (answer.status === 200) return { kind: 'paid', reference: (JSON.parse(answer.text) as PayoutAnswer).reference };
    if (answer.status === 422) {
      const refusal = JSON.parse(answer.text) as PayoutRefusal;
      return { kind: 'refused', reason: `${refusal.error}: ${refusal.message}` };
    }
    // 5xx: the bank says it paid nothing; anything else is not a known answer.
    return answer.status >= 500 ? { kind: 'unavailable', reason: `bank answered ${answer.status}` } : { kind: 'unknown', reason: `bank answered ${answer.status}` };
  }

  async status(payoutId: string): Promise<StatusResult> {
    const path = `/v1/payouts/${encodeURIComponent(payoutId)}`;
    const answer = await this.#call('GET', path, undefined, path);
    if (answer.kind !== 'answer') return answer;
    if (answer.status === 200) return { kind: 'paid', reference: (JSON.parse(answer.text) as PayoutAnswer).reference };
    if (answer.status === 404) return { kind: 'not_found' };
    return answer.status >= 500 ? { kind: 'unavailable', reason: `bank answered ${answer.status}` } : { kind: 'unknown', reason: `bank answered ${answer.status}` };
  }

  async #call(method: string, path: string, body: string | undefined, signed: string): Promise<{ kind: 'answer'; status: number; text: string } | { kind: 'unknown' | 'unavailable'; reason: string }> {
    const ts = String(Date.now());
    let response: Response;
    try {
      response = await fetch(`${this.#settings.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json', [TIMESTAMP_HEADER]: ts, [SIGNATURE_HEADER]: sign(this.#settings.secret, ts, signed) },
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.timeout(this.#settings.timeoutMs),
      });
    } catch (err) {
      // Refused connections never reached the bank; anything after the request left may have.
      const refused = err instanceof TypeError && (err.cause as { code?: string } | undefined)?.code === 'ECONNREFUSED';
      return { kind: refused ? 'unavailable' : 'unknown', reason: err instanceof Error ? err.message : String(err) };
    }
    const text = await response.text();
    if (!verify(this.#settings.secret, response.headers.get(TIMESTAMP_HEADER) ?? undefined, response.headers.get(SIGNATURE_HEADER) ?? undefined, text, Date.now())) {
      return { kind: 'unknown', reason: `bank answer ${response.status} without a valid signature` };
    }
    return { kind: 'answer', status: response.status, text };
  }
}
