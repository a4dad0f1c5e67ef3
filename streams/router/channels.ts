/**
 * What the router knows about the channels it can route to: which payment methods each takes
 * and its fee model. The fee models are the router's estimate (the ledger books the real fees);
 * a connector-side fee module can replace `FEE_MODELS` behind the same `FeeModel` shape.
 */
import type { PaymentMethod } from '../../schemas/types.ts';
import { CHANNEL_IDS } from '../../connectors/channels/types.ts';
import type { FeeModel } from './fees.ts';

export const ROUTABLE_CHANNEL_IDS: readonly string[] = CHANNEL_IDS;

/** The methods each channel accepts: the acquirers take cards, each wallet its own wallet, none a bank payment. */
export const CHANNEL_METHODS: Readonly<Record<string, readonly PaymentMethod[]>> = {
  acq_alpha: ['CARD'],
  acq_beta: ['CARD'],
  wallet_a: ['WALLET_A'],
  wallet_b: ['WALLET_B'],
};

/** Contracted prices as published in each channel's pricing sheet (sandbox values). */
export const FEE_MODELS: Readonly<Record<string, FeeModel>> = {
  acq_alpha: { tiers: [{ uptoMinor: 10_000n, percent: '2.9' }, { uptoMinor: null, percent: '2.5' }], fixedMinor: 30n },
  acq_beta: { tiers: [{ uptoMinor: null, percent: '2.2' }], fixedMinor: 35n },
  wallet_a: { tiers: [{ uptoMinor: null, percent: '1.8' }], fixedMinor: 10n },
  wallet_b: { tiers: [{ uptoMinor: 50_000n, percent: '2.0' }, { uptoMinor: null, percent: '1.5' }], fixedMinor: 0n },
};

export function channelTakes(channelId: string, method: PaymentMethod): boolean {
  return CHANNEL_METHODS[channelId]?.includes(method) ?? false;
}
