/**
 * Currencies the API accepts (ISO 4217), each with its minor-unit exponent and the largest
 * amount one payment may carry. The limits are per currency because one minor unit is worth very
 * different amounts (1 JPY vs 0.001 KWD); each is roughly one million US dollars.
 */
export interface CurrencySpec {
  exponent: number;
  amountMinorMax: number;
}

export const CURRENCIES: Readonly<Record<string, CurrencySpec>> = Object.freeze({
  USD: { exponent: 2, amountMinorMax: 100_000_000 },
  EUR: { exponent: 2, amountMinorMax: 100_000_000 },
  GBP: { exponent: 2, amountMinorMax: 100_000_000 },
  CHF: { exponent: 2, amountMinorMax: 100_000_000 },
  SEK: { exponent: 2, amountMinorMax: 1_000_000_000 },
  PLN: { exponent: 2, amountMinorMax: 400_000_000 },
  JPY: { exponent: 0, amountMinorMax: 150_000_000 },
  KWD: { exponent: 3, amountMinorMax: 300_000_000 },
});

export function currencySpec(code: string): CurrencySpec | undefined {
  return Object.hasOwn(CURRENCIES, code) ? CURRENCIES[code] : undefined;
}
