/**
 * What the router knows about the channels it can route to: which payment methods each takes.
 * Their prices are the connectors' fee models (see fees.ts).
 */
import type { PaymentMethod } from '../../schemas/types.ts';
import { CHANNEL_IDS } from '../../connectors/channels/types.ts';

export const ROUTABLE_CHANNEL_IDS: readonly string[] = CHANNEL_IDS;

/** The methods each channel accepts: the acquirers take cards, each wallet its own wallet, none a bank payment. */
export const CHANNEL_METHODS: Readonly<Record<string, readonly PaymentMethod[]>> = {
  acq_alpha: ['CARD'],
  acq_beta: ['CARD'],
  wallet_a: ['WALLET_A'],
  wallet_b: ['WALLET_B'],
};


export function channelTakes(channelId: string, method: PaymentMethod): boolean {
  return CHANNEL_METHODS[channelId]?.includes(method) ?? false;
}
