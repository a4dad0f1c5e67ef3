/** Fresh credentials for a sandbox acquirer and the matching adapter side (tests, the embedded launcher). */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { Secret } from '../../../lib/secret.ts';
import type { HmacCredentials, RsaAcquirerCredentials, RsaMerchantCredentials } from '../credentials.ts';
import type { ChannelId } from '../types.ts';

export type SandboxCredentials =
  | { channelId: 'acq_alpha' | 'acq_beta' | 'wallet_a'; acquirer: HmacCredentials; merchant: HmacCredentials }
  | { channelId: 'wallet_b'; acquirer: RsaAcquirerCredentials; merchant: RsaMerchantCredentials };

/** RSA key size: 2048 bits is the floor real wallets accept. */
const RSA_MODULUS_BITS = 2048;

export function generateSandboxCredentials(channelId: ChannelId): SandboxCredentials {
  switch (channelId) {
    case 'acq_alpha':
    case 'acq_beta':
    case 'wallet_a': {
      const hmac: HmacCredentials = { keyId: `${channelId}-key-${randomBytes(4).toString('hex')}`, secret: new Secret(randomBytes(32).toString('base64')) };
      return { channelId, acquirer: hmac, merchant: hmac };
    }
    case 'wallet_b': {
      const pair = () => generateKeyPairSync('rsa', { modulusLength: RSA_MODULUS_BITS, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
      const merchant = pair();
      const wallet = pair();
      const appId = `2026${randomBytes(6).toString('hex')}`;
      return {
        channelId,
        acquirer: { appId, merchantPublicKeyPem: merchant.publicKey, acquirerPrivateKeyPem: new Secret(wallet.privateKey) },
        merchant: { appId, merchantPrivateKeyPem: new Secret(merchant.privateKey), acquirerPublicKeyPem: wallet.publicKey },
      };
    }
    default: {
      const unreachable: never = channelId;
      throw new Error(`unknown channel ${String(unreachable)}`);
    }
  }
}
