/**
 * The merchant `npm start` prints to try the API with: created once per data directory and found
 * again by its key id on every later start (the secret is read back through the merchant store,
 * which keeps it sealed under the master key; only the key id is in demo-merchant.json).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pool } from '../../lib/postgres.ts';
import { writeFileAtomic } from '../../lib/fs-atomic.ts';
import type { Secret } from '../../lib/secret.ts';
import { MerchantStore } from '../../api/merchants/store.ts';

const DEMO_FILE = 'demo-merchant.json';
const DEMO_NAME = 'Demo merchant';

export interface DemoMerchant {
  merchantId: string;
  keyId: string;
  secret: Secret;
}

export async function ensureDemoMerchant(pool: Pool, masterKey: Secret, dataDir: string): Promise<DemoMerchant> {
  const store = new MerchantStore(pool, masterKey);
  const path = join(dataDir, DEMO_FILE);
  if (existsSync(path)) {
    const { keyId } = JSON.parse(readFileSync(path, 'utf8')) as { keyId: string };
    const found = await store.byKeyId(keyId);
    if (found !== undefined) return { merchantId: found.merchantId, keyId, secret: found.secret };
  }
  const created = await store.create(DEMO_NAME, undefined);
  writeFileAtomic(path, `${JSON.stringify({ keyId: created.keyId, merchantId: created.merchantId })}\n`, 0o600);
  return { merchantId: created.merchantId, keyId: created.keyId, secret: created.secret };
}

/** A copy-paste shell snippet that signs and sends one payment (the scheme of api/signature.ts). */
export function curlExample(apiUrl: string, merchant: DemoMerchant): string {
  return [
    `KEY_ID='${merchant.keyId}' SECRET='${merchant.secret.reveal()}'`,
    `BODY='{"merchantOrderId":"order-'$(date +%s%N)'","amountMinor":1999,"currency":"EUR","method":"card","customer":{"id":"c-42","ip":"203.0.113.9","deviceId":"dev-1"}}'`,
    `TS=$(date +%s); NONCE=$(openssl rand -hex 16)`,
    `BODY_SHA=$(printf '%s' "$BODY" | openssl dgst -sha256 -hex | sed 's/^.* //')`,
    `SIG=$(printf '%s\\n%s\\n%s\\n%s\\n%s' "$TS" "$NONCE" POST /v1/payments "$BODY_SHA" | openssl dgst -sha256 -hmac "$SECRET" -hex | sed 's/^.* //')`,
    `curl -sS ${apiUrl}/v1/payments -H 'Content-Type: application/json' -H "Idempotency-Key: $NONCE" -H "X-Paystream-Key: $KEY_ID" -H "X-Paystream-Timestamp: $TS" -H "X-Paystream-Nonce: $NONCE" -H "X-Paystream-Signature: v1=$SIG" --data-raw "$BODY"`,
  ].join('\n');
}
