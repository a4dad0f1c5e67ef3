/** The channel adapters by id; adding a real acquirer means one more case here and one more folder. */
import { createAlphaAdapter, type AlphaConfig } from './acq_alpha/adapter.ts';
import { createBetaAdapter, type BetaConfig } from './acq_beta/adapter.ts';
import type { ChannelAdapter } from './types.ts';
import { createWalletAAdapter, type WalletAConfig } from './wallet_a/adapter.ts';
import { createWalletBAdapter, type WalletBConfig } from './wallet_b/adapter.ts';

export type { AlphaConfig, BetaConfig, WalletAConfig, WalletBConfig };
export * from './types.ts';

export type ChannelConfig =
  | { channelId: 'acq_alpha'; config: AlphaConfig }
  | { channelId: 'acq_beta'; config: BetaConfig }
  | { channelId: 'wallet_a'; config: WalletAConfig }
  | { channelId: 'wallet_b'; config: WalletBConfig };

export function createChannelAdapter(c: ChannelConfig): ChannelAdapter {
  switch (c.channelId) {
    case 'acq_alpha':
      return createAlphaAdapter(c.config);
    case 'acq_beta':
      return createBetaAdapter(c.config);
    case 'wallet_a':
      return createWalletAAdapter(c.config);
    case 'wallet_b':
      return createWalletBAdapter(c.config);
    default: {
      const unreachable: never = c;
      throw new Error(`unknown channel ${JSON.stringify(unreachable)}`);
    }
  }
}
