/** Channel credentials as adapters and sandbox acquirers hold them; secrets stay `Secret`. */
import type { Secret } from '../../lib/secret.ts';

/** Shared-key channels (acq_alpha, acq_beta, wallet_a): both sides sign with the same key. */
export interface HmacCredentials {
  keyId: string;
  secret: Secret;
}

/** Our side of an RSA channel (wallet_b): we sign with our key and verify with theirs. */
export interface RsaMerchantCredentials {
  appId: string;
  merchantPrivateKeyPem: Secret;
  acquirerPublicKeyPem: string;
}

/** The acquirer's side of an RSA channel: it verifies with our public key and signs with its own. */
export interface RsaAcquirerCredentials {
  appId: string;
  merchantPublicKeyPem: string;
  acquirerPrivateKeyPem: Secret;
}
