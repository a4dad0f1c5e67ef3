/**
 * Amount text formats the channels use, converted exactly to and from bigint minor units.
 * No floating point anywhere: major-unit strings are split and joined as digits.
 * Which format a channel uses lives in its transformers; these are the shared primitives.
 */

/** ISO 4217 minor-unit exponents for the currencies paystream settles. */
const EXPONENTS: Readonly<Record<string, number>> = Object.freeze({
  AUD: 2, BHD: 3, BRL: 2, CAD: 2, CHF: 2, CNY: 2, CZK: 2, DKK: 2, EUR: 2, GBP: 2, HKD: 2, HUF: 2,
  INR: 2, JOD: 3, JPY: 0, KRW: 0, KWD: 3, MXN: 2, NOK: 2, NZD: 2, OMR: 3, PLN: 2, SEK: 2, SGD: 2,
  TND: 3, USD: 2, VND: 0, ZAR: 2,
});

/** Minor-unit exponent of a currency, or undefined when paystream does not know it. */
export function currencyExponent(currency: string): number | undefined {
  return Object.hasOwn(EXPONENTS, currency) ? EXPONENTS[currency] : undefined;
}

/** Longest digit string accepted for an amount: 10^18 fits a signed 64-bit long with room. */
const DIGITS_MAX = 18;
const MINOR_RE = new RegExp(`^-?\\d{1,${DIGITS_MAX}}$`);

/** Decimal integer text → bigint, or undefined when it is not exactly an integer. */
export function parseMinor(text: string): bigint | undefined {
  return MINOR_RE.test(text) ? BigInt(text) : undefined;
}

/**
 * bigint minor units → major-unit text with `decimals` places (e.g. 123456n, exponent 2,
 * decimals 2 → "1234.56"; 100n JPY exponent 0, decimals 2 → "100.00").
 */
export function formatMajor(amountMinor: bigint, exponent: number, decimals: number = exponent): string {
  if (decimals < exponent) throw new RangeError(`cannot show exponent ${exponent} with ${decimals} decimals exactly`);
  const negative = amountMinor < 0n;
  const digits = (negative ? -amountMinor : amountMinor).toString().padStart(exponent + 1, '0');
  const whole = digits.slice(0, digits.length - exponent);
  const fraction = digits.slice(digits.length - exponent).padEnd(decimals, '0');
  return `${negative ? '-' : ''}${whole}${decimals > 0 ? `.${fraction}` : ''}`;
}

/**
 * Major-unit text → bigint minor units, exactly. Digits past the exponent must be zeros
 * ("100.00" JPY is 100n; "1.005" USD is rejected); anything else is undefined.
 */
export function parseMajor(text: string, exponent: number): bigint | undefined {
  const match = /^(-?)(\d{1,18})(?:\.(\d{1,6}))?$/.exec(text);
  if (match === null) return undefined;
  const [, sign, whole = '', fraction = ''] = match;
  const kept = fraction.slice(0, exponent).padEnd(exponent, '0');
  if (!/^0*$/.test(fraction.slice(exponent))) return undefined;
  const magnitude = BigInt(whole + kept);
  return sign === '-' ? -magnitude : magnitude;
}
