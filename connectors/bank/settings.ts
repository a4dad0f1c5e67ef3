/**
 * Where the payout bank is and the secret both sides sign with: `bank.json` in the data directory
 * (written by `paystream up` for its sandbox bank, mode 0600; in production the operator puts the
 * bank's settings there). No file: settlement creates payouts but nothing sends them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../lib/fs-atomic.ts';
import { Secret } from '../../lib/secret.ts';
import { BankClient } from './client.ts';
import { BANK_TIMEOUT_MS } from '../../streams/ledger/limits.ts';

export const BANK_FILE_NAME = 'bank.json';

export function writeBankSettings(dataDir: string, settings: { url: string; secret: Secret }): void {
  writeFileAtomic(join(dataDir, BANK_FILE_NAME), `${JSON.stringify({ url: settings.url, secret: settings.secret.reveal() }, null, 2)}\n`, 0o600);
}

export function readBankClient(dataDir: string): BankClient | undefined {
  const path = join(dataDir, BANK_FILE_NAME);
  if (!existsSync(path)) return undefined;
  const raw = JSON.parse(readFileSync(path, 'utf8')) as { url: string; secret: string };
  return new BankClient({ url: raw.url, secret: new Secret(raw.secret), timeoutMs: BANK_TIMEOUT_MS });
}
