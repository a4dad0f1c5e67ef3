/**
 * Merchant signing secrets at rest: AES-256-GCM under the master key, a fresh 96-bit IV per
 * secret (NIST SP 800-38D §8.2), the key id as additional authenticated data so a ciphertext
 * cannot be moved to another merchant's row.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { PaystreamError } from '../../lib/errors.ts';
import type { Secret } from '../../lib/secret.ts';

const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface SealedSecret {
  ciphertext: Buffer;
  iv: Buffer;
  tag: Buffer;
}

function keyBytes(masterKey: Secret): Buffer {
  return Buffer.from(masterKey.reveal(), 'hex');
}

export function seal(masterKey: Secret, plaintext: string, keyId: string): SealedSecret {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keyBytes(masterKey), iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(keyId, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return { ciphertext, iv, tag: cipher.getAuthTag() };
}

/** Throws `secret_undecryptable` when the master key is wrong or the row was altered. */
export function open(masterKey: Secret, sealed: SealedSecret, keyId: string): string {
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyBytes(masterKey), sealed.iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(keyId, 'utf8'));
    decipher.setAuthTag(sealed.tag);
    return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]).toString('utf8');
  } catch (err) {
    throw new PaystreamError('secret_undecryptable', `the secret of key ${keyId} does not decrypt under this master key`, { cause: err });
  }
}
