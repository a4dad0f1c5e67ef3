/**
 * The fee a payment would cost on each channel, for scoring. The prices and the arithmetic are the
 * connectors' (`connectors/channels/fees.ts`, the same models the ledger books fees with), so the
 * router and the ledger never disagree on what a channel charges. Half-up here: only the
 * comparison between channels matters, not the booked cent.
 */
import { PaystreamError } from '../../lib/errors.ts';
import { CHANNEL_FEES, feeMinor, type FeeModel } from '../../connectors/channels/fees.ts';

/** Anything that can price a payment on a channel; null when the channel or currency has no price known. */
export interface FeeSource {
  estimateMinor(channelId: string, amountMinor: bigint, currency: string): bigint | null;
}

export function feeSourceOf(models: Readonly<Record<string, FeeModel>> = CHANNEL_FEES): FeeSource {
  return {
    estimateMinor(channelId, amountMinor, currency) {
      const model = models[channelId];
      if (model === undefined) return null;
      try {
        return feeMinor(model, amountMinor, currency, 'HALF_UP');
      } catch (err) {
        // A currency without a known exponent has no price: the channel scores 0 on cost.
        if (err instanceof PaystreamError && err.code === 'currency_unknown') return null;
        throw err;
      }
    },
  };
}
