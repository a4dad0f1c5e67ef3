/**
 * Merchants in PostgreSQL: creation (the secret is shown once, stored sealed) and lookup by key
 * id with a small in-memory cache of opened secrets, so verifying a signature costs no database
 * round trip on the hot path.
 */
import { randomBytes } from 'node:crypto';
import type { Pool } from '../../lib/postgres.ts';
import { Secret } from '../../lib/secret.ts';
import { MERCHANT_CACHE_ENTRIES_MAX, MERCHANT_CACHE_TTL_MS } from '../limits.ts';
import { open, seal } from './secret-box.ts';

export interface Merchant {
  merchantId: string;
  keyId: string;
  name: string;
  webhookUrl: string | null;
  secret: Secret;
}

export interface CreatedMerchant {
  merchantId: string;
  keyId: string;
  /** Shown to the operator once; only the sealed form is stored. */
  secret: Secret;
  /** Signs the webhooks sent to this merchant; shown once, like the secret. */
  webhookSecret: Secret;
}

/** Additional data sealed with a webhook secret, so it cannot be swapped with an API secret. */
const webhookAad = (merchantId: string): string => `webhook:${merchantId}`;

const NAME_LENGTH_MAX = 200;
const WEBHOOK_URL_LENGTH_MAX = 2048;

export function validateMerchantInput(name: string, webhookUrl: string | undefined): string | undefined {
  if (name.trim() === '' || name.length > NAME_LENGTH_MAX) return `the name must be 1-${NAME_LENGTH_MAX} characters`;
  if (webhookUrl !== undefined) {
    let parsed: URL;
    try {
      parsed = new URL(webhookUrl);
    } catch (err) {
      if (err instanceof TypeError) return 'the webhook URL does not parse';
      throw err;
    }
    if (!['http:', 'https:'].includes(parsed.protocol) || webhookUrl.length > WEBHOOK_URL_LENGTH_MAX) return 'the webhook URL must be http(s) and at most 2048 characters';
  }
  return undefined;
}

export class MerchantStore {
  private readonly cache = new Map<string, { merchant: Merchant; expiresAtMs: number }>();

  constructor(
    private readonly pool: Pool,
    private readonly masterKey: Secret,
    private readonly nowMs: () => number = Date.now,
  ) {}

  async create(name: string, webhookUrl: string | undefined): Promise<CreatedMerchant> {
    const merchantId = `mer_${randomBytes(10).toString('hex')}`;
    const keyId = `pk_${randomBytes(12).toString('hex')}`;
    const secret = `sk_${randomBytes(32).toString('base64url')}`;
    const webhookSecret = `whsec_${randomBytes(32).toString('base64url')}`;
    const sealed = seal(this.masterKey, secret, keyId);
    const sealedWebhook = seal(this.masterKey, webhookSecret, webhookAad(merchantId));
    await this.pool.query(
      `INSERT INTO merchants (merchant_id, key_id, name, webhook_url, secret_ciphertext, secret_iv, secret_tag, webhook_secret_ciphertext, webhook_secret_iv, webhook_secret_tag)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [merchantId, keyId, name, webhookUrl ?? null, sealed.ciphertext, sealed.iv, sealed.tag, sealedWebhook.ciphertext, sealedWebhook.iv, sealedWebhook.tag],
    );
    return { merchantId, keyId, secret: new Secret(secret), webhookSecret: new Secret(webhookSecret) };
  }

  /** Where and with what a merchant's webhooks are sent; undefined when the merchant does not exist. */
  async webhookTarget(merchantId: string): Promise<{ url: string | null; secret: Secret | null } | undefined> {
    const { rows } = await this.pool.query<{ webhook_url: string | null; webhook_secret_ciphertext: Buffer | null; webhook_secret_iv: Buffer | null; webhook_secret_tag: Buffer | null }>(
      'SELECT webhook_url, webhook_secret_ciphertext, webhook_secret_iv, webhook_secret_tag FROM merchants WHERE merchant_id = $1',
      [merchantId],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    const sealed = row.webhook_secret_ciphertext === null || row.webhook_secret_iv === null || row.webhook_secret_tag === null ? null : { ciphertext: row.webhook_secret_ciphertext, iv: row.webhook_secret_iv, tag: row.webhook_secret_tag };
    return { url: row.webhook_url, secret: sealed === null ? null : new Secret(open(this.masterKey, sealed, webhookAad(merchantId))) };
  }

  /**
   * The merchant holding `keyId`, or undefined. Unknown keys are not cached: a merchant created
   * a moment ago must work at once. An unknown key costs one indexed lookup; the API has no
   * per-IP limit of its own, so a flood of made-up keys is for the load balancer in front.
   */
  async byKeyId(keyId: string): Promise<Merchant | undefined> {
    const now = this.nowMs();
    const hit = this.cache.get(keyId);
    if (hit !== undefined && hit.expiresAtMs > now) return hit.merchant;
    const { rows } = await this.pool.query<{ merchant_id: string; name: string; webhook_url: string | null; secret_ciphertext: Buffer; secret_iv: Buffer; secret_tag: Buffer }>(
      'SELECT merchant_id, name, webhook_url, secret_ciphertext, secret_iv, secret_tag FROM merchants WHERE key_id = $1',
      [keyId],
    );
    const row = rows[0];
    const merchant =
      row === undefined
        ? undefined
        : {
            merchantId: row.merchant_id,
            keyId,
            name: row.name,
            webhookUrl: row.webhook_url,
            secret: new Secret(open(this.masterKey, { ciphertext: row.secret_ciphertext, iv: row.secret_iv, tag: row.secret_tag }, keyId)),
          };
    if (merchant === undefined) return undefined;
    if (this.cache.size >= MERCHANT_CACHE_ENTRIES_MAX) this.cache.clear();
    this.cache.set(keyId, { merchant, expiresAtMs: now + MERCHANT_CACHE_TTL_MS });
    return merchant;
  }
}
