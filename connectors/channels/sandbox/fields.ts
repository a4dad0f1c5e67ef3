/** Strict readers for request fields; a bad field is a `BadField` the protocol answers as 400. */
import { parseMinor } from '../money.ts';
import { AMOUNT_MINOR_MAX, ID_LENGTH_MAX, TEXT_LENGTH_MAX, URL_LENGTH_MAX } from './limits.ts';

export class BadField extends Error {
  readonly field: string;

  constructor(field: string, expected: string) {
    super(`${field} must be ${expected}`);
    this.name = 'BadField';
    this.field = field;
  }
}

export type Fields = Record<string, unknown>;

export function isFields(v: unknown): v is Fields {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parseJsonFields(body: string): Fields {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (err) {
    throw new BadField('body', `JSON (${err instanceof Error ? err.name : 'unparsable'})`);
  }
  if (!isFields(value)) throw new BadField('body', 'a JSON object');
  return value;
}

export function obj(o: Fields, key: string): Fields {
  const v = o[key];
  if (!isFields(v)) throw new BadField(key, 'an object');
  return v;
}

export function id(o: Fields, key: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v.length === 0 || v.length > ID_LENGTH_MAX || !/^[A-Za-z0-9_.:-]+$/.test(v)) {
    throw new BadField(key, `1–${ID_LENGTH_MAX} characters from A-Z a-z 0-9 _ . : -`);
  }
  return v;
}

export function text(o: Fields, key: string): string {
  const v = o[key] ?? '';
  if (typeof v !== 'string' || v.length > TEXT_LENGTH_MAX) throw new BadField(key, `text up to ${TEXT_LENGTH_MAX} characters`);
  return v;
}

export function currency(o: Fields, key: string): string {
  const v = o[key];
  if (typeof v !== 'string' || !/^[A-Z]{3}$/.test(v)) throw new BadField(key, 'an ISO 4217 code');
  return v;
}

export function int(o: Fields, key: string, min: number, max: number): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new BadField(key, `an integer in [${min}, ${max}]`);
  return v;
}

/** A positive amount in minor units, bounded, from its wire form (already converted). */
export function positiveAmount(key: string, amountMinor: bigint | undefined): bigint {
  if (amountMinor === undefined || amountMinor <= 0n || amountMinor > AMOUNT_MINOR_MAX) throw new BadField(key, `a positive amount up to ${AMOUNT_MINOR_MAX} minor units`);
  return amountMinor;
}

export function minorString(o: Fields, key: string): bigint {
  const v = o[key];
  return positiveAmount(key, typeof v === 'string' ? parseMinor(v) : undefined);
}

/** An http(s) URL for callbacks. */
export function url(o: Fields, key: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v.length > URL_LENGTH_MAX || !/^https?:\/\/[^\s]+$/.test(v)) throw new BadField(key, 'an http(s) URL');
  return v;
}
