/**
 * wallet_b's gateway client. Every call is a form POST to `/gateway.do` naming a `method`;
 * requests are signed with our RSA key and every answer and notification must carry a valid
 * `sign` from the wallet's key: base64 RSA-SHA256 (PKCS#1 v1.5) over the non-empty fields
 * except `sign` and `sign_type`, sorted by name, joined as `k=v&k=v`.
 */
import type { RsaMerchantCredentials } from '../credentials.ts';
import { exchange } from '../http.ts';
import { badSignature, malformed, rejected, unavailable } from '../outcome.ts';
import { rsaSha256Sign, rsaSha256Verify, sortedKeyValueString } from '../signing.ts';
import { ChannelError, type CallOptions } from '../types.ts';
import { WALLET_B_FORM_FIELDS_MAX } from './limits.ts';

export interface WalletBConfig {
  baseUrl: string;
  credentials: RsaMerchantCredentials;
  timeoutMs: number;
  /** paystream's notifications endpoint for this channel. */
  notifyUrl: string;
  clock?: { nowMs(): number };
}

export type Form = Record<string, string>;

/** The wallet's own wall clock (UTC-03:00) is what its timestamps are written in. */
export const WALLET_B_OFFSET_MINUTES = -3 * 60;

export function walletBTime(ms: number): string {
  return new Date(ms + WALLET_B_OFFSET_MINUTES * 60_000).toISOString().slice(0, 19).replace('T', ' ');
}

/** Parses a signed form and verifies its signature with the wallet's key; throws a ChannelError otherwise. */
export function verifiedForm(credentials: RsaMerchantCredentials, body: string, what: string): Form {
  const params = new URLSearchParams(body);
  const form: Form = {};
  let count = 0;
  for (const [k, v] of params) {
    count += 1;
    if (count > WALLET_B_FORM_FIELDS_MAX) throw malformed('wallet_b', `${what} has too many fields`);
    if (Object.hasOwn(form, k)) throw malformed('wallet_b', `${what} repeats field ${k}`);
    form[k] = v;
  }
  const sign = form.sign;
  if (sign === undefined || form.sign_type !== 'RSA2') throw badSignature('wallet_b', `${what} is not signed`);
  if (!rsaSha256Verify(credentials.acquirerPublicKeyPem, sortedKeyValueString(form, ['sign', 'sign_type']), sign)) throw badSignature('wallet_b', `${what} signature does not verify`);
  return form;
}

/** A business answer: `code=10000` success, or a failure with its `sub_code` for the caller to judge. */
export type GatewayAnswer = { ok: true; form: Form } | { ok: false; subCode: string };

export class WalletBClient {
  readonly #config: WalletBConfig;

  constructor(config: WalletBConfig) {
    this.#config = config;
  }

  nowMs(): number {
    return this.#config.clock?.nowMs() ?? Date.now();
  }

  async call(method: string, biz: Form, options?: CallOptions): Promise<GatewayAnswer> {
    const { credentials, baseUrl, timeoutMs } = this.#config;
    const fields: Form = { app_id: credentials.appId, method, charset: 'utf-8', sign_type: 'RSA2', timestamp: walletBTime(this.nowMs()), version: '1.0', ...biz };
    const sign = rsaSha256Sign(credentials.merchantPrivateKeyPem, sortedKeyValueString(fields, ['sign', 'sign_type']));
    const body = new URLSearchParams({ ...fields, sign }).toString();
    const answer = await exchange('wallet_b', `${baseUrl}/gateway.do`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body }, timeoutMs, options);
    if (answer.statusCode >= 500) throw unavailable('wallet_b', answer.statusCode);
    const form = verifiedForm(credentials, answer.body, 'answer');
    switch (form.code) {
      case '10000':
        return { ok: true, form };
      case '40004':
        return { ok: false, subCode: form.sub_code ?? 'unknown' };
      case '20000':
        throw new ChannelError('wallet_b', 'channel_unavailable', `gateway busy (${form.sub_code ?? 'unknown'})`, { charge: 'not_charged' });
      case '40002':
      case '40001':
      case '40003':
        throw rejected('wallet_b', answer.statusCode, `${form.code} ${form.sub_code ?? ''}`.trim());
      default:
        throw malformed('wallet_b', `unknown gateway code ${JSON.stringify(form.code)}`);
    }
  }
}
