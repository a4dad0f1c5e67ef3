/**
 * The master key that encrypts merchant secrets: PAYSTREAM_MASTER_KEY when set; otherwise the
 * embedded default, generated once and kept in `<dataDir>/master.key` (mode 0600). Losing that
 * file makes every stored merchant secret unreadable, as losing the real key would.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../../lib/config.ts';
import { PaystreamError } from '../../lib/errors.ts';
import { writeFileAtomic } from '../../lib/fs-atomic.ts';
import { Secret } from '../../lib/secret.ts';

export const MASTER_KEY_FILE = 'master.key';

export function resolveMasterKey(config: Pick<Config, 'masterKey'>, dataDir: string): Secret {
  if (config.masterKey !== undefined) return config.masterKey;
  const path = join(resolve(dataDir), MASTER_KEY_FILE);
  if (existsSync(path)) {
    const hex = readFileSync(path, 'utf8').trim();
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new PaystreamError('master_key_invalid', `${path} does not hold 64 hex characters`);
    return new Secret(hex);
  }
  mkdirSync(resolve(dataDir), { recursive: true });
  const hex = randomBytes(32).toString('hex');
  writeFileAtomic(path, `${hex}\n`, 0o600);
  return new Secret(hex);
}
