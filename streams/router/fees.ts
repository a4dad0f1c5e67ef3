/**
 * Fee estimate per channel for scoring: a percentage that depends on the amount tier plus a
 * fixed part. decimal.js for the rate; the result is whole minor units rounded half-up.
 */
import { Decimal } from 'decimal.js';

export interface FeeTier {
  /** Inclusive upper bound of the tier in minor units; null for the last, open tier. */
  uptoMinor: bigint | null;
  /** Percentage of the amount, as a decimal string ("2.9" = 2.9 %). */
  percent: string;
}

export interface FeeModel {
  /** Ordered by uptoMinor; the first tier whose bound holds the amount applies to all of it. */
  tiers: readonly FeeTier[];
  /** Fixed part in minor units of the payment currency. */
  fixedMinor: bigint;
}

/** Anything that can price a payment on a channel; null when the channel has no price known. */
export interface FeeSource {
  estimateMinor(channelId: string, amountMinor: bigint, currency: string): bigint | null;
}

export function estimateFeeMinor(model: FeeModel, amountMinor: bigint): bigint {
  const tier = model.tiers.find((t) => t.uptoMinor === null || amountMinor <= t.uptoMinor) ?? model.tiers[model.tiers.length - 1];
  if (tier === undefined) return model.fixedMinor;
  const variable = new Decimal(amountMinor.toString()).times(tier.percent).dividedBy(100).toDecimalPlaces(0, Decimal.ROUND_HALF_UP);
  return BigInt(variable.toFixed(0)) + model.fixedMinor;
}

export function feeSourceOf(models: Readonly<Record<string, FeeModel>>): FeeSource {
  return {
    estimateMinor(channelId, amountMinor) {
      const model = models[channelId];
      return model === undefined ? null : estimateFeeMinor(model, amountMinor);
    },
  };
}
