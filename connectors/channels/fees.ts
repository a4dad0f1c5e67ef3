/**
 * What each channel charges us per payment, and what we charge merchants: a percentage (by amount
 * tier) plus a fixed part in the currency's major units, computed with decimal.js and rounded to
 * whole minor units under an explicit rounding mode. The currency's exponent places the fixed part:
 * 0.30 is 30 minor units of EUR, 0 of JPY (rounded), 300 of KWD.
 */
import { Decimal } from 'decimal.js';
import { PaystreamError } from '../../lib/errors.ts';
import { currencyExponent } from './money.ts';

export type RoundingMode = 'HALF_UP' | 'HALF_EVEN';

export interface FeeTier {
  /** Inclusive upper bound in major units of the payment's currency; null for the open last tier. */
  uptoMajor: string | null;
  /** Percent of the amount, as a decimal string: "2.9" is 2.9 %. */
  percent: string;
}

export interface FeeModel {
  tiers: readonly FeeTier[];
  /** Fixed part in major units ("0.30"), the same figure in every currency. */
  fixedMajor: string;
}

const ROUNDING: Record<RoundingMode, Decimal.Rounding> = { HALF_UP: Decimal.ROUND_HALF_UP, HALF_EVEN: Decimal.ROUND_HALF_EVEN };

/** The acquirers' prices (what a channel keeps of each capture). */
export const CHANNEL_FEES: Readonly<Record<string, FeeModel>> = {
  acq_alpha: { tiers: [{ uptoMajor: '100', percent: '1.8' }, { uptoMajor: null, percent: '1.4' }], fixedMajor: '0.20' },
  acq_beta: { tiers: [{ uptoMajor: null, percent: '1.6' }], fixedMajor: '0.25' },
  wallet_a: { tiers: [{ uptoMajor: null, percent: '2.2' }], fixedMajor: '0' },
  wallet_b: { tiers: [{ uptoMajor: '50', percent: '2.5' }, { uptoMajor: null, percent: '1.9' }], fixedMajor: '0.10' },
};

/** What paystream charges a merchant per capture (its revenue). */
export const MERCHANT_FEE: FeeModel = { tiers: [{ uptoMajor: null, percent: '2.9' }], fixedMajor: '0.30' };

export function feeMinor(model: FeeModel, amountMinor: bigint, currency: string, rounding: RoundingMode): bigint {
  const exponent = currencyExponent(currency);
  if (exponent === undefined) throw new PaystreamError('currency_unknown', `no minor-unit exponent known for ${currency}`);
  const scale = new Decimal(10).pow(exponent);
  const amountMajor = new Decimal(amountMinor.toString()).dividedBy(scale);
  const tier = model.tiers.find((t) => t.uptoMajor === null || amountMajor.lessThanOrEqualTo(t.uptoMajor)) ?? model.tiers.at(-1);
  const percent = tier === undefined ? new Decimal(0) : new Decimal(tier.percent);
  // One rounding, at the end, of the exact fee in minor units.
  const exact = new Decimal(amountMinor.toString()).times(percent).dividedBy(100).plus(new Decimal(model.fixedMajor).times(scale));
  const fee = BigInt(exact.toDecimalPlaces(0, ROUNDING[rounding]).toFixed(0));
  // A fee never exceeds the amount it is taken from.
  return fee > amountMinor ? amountMinor : fee;
}
