/**
 * The one way this project turns an Avro schema into an avsc type. Every parse (our own
 * schemas, the codec's writer schemas fetched from the registry) goes through `avroTypeOptions`
 * so that:
 *   - a plain `long` decodes to a bigint: money is a long of minor units and the default avsc
 *     long throws (or would lose precision) past 2^53;
 *   - a `long` with logicalType `timestamp-millis` stays a JS number of epoch milliseconds, which
 *     is exact for any date within ±285,000 years;
 *   - unions of `null` and one type decode unwrapped (`T | null`), and unions of several records
 *     decode wrapped by the branch's full name (`{ 'paystream.CreatePayment': {...} }`).
 * Spec: https://avro.apache.org/docs/1.11.1/specification/ (primitive types, logical types).
 */
import avro from 'avsc';
import type { Schema, Type, types as avroTypes } from 'avsc';

const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;

function isLong(value: unknown): value is bigint {
  return typeof value === 'bigint' && value >= LONG_MIN && value <= LONG_MAX;
}

/**
 * avsc hands `fromBuffer` the long as 8 little-endian two's-complement bytes and expects the
 * same back from `toBuffer` (avsc's `LongType.__with` contract).
 */
export const bigintLongType: avroTypes.LongType = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer): bigint => buf.readBigInt64LE(0),
  toBuffer: (value: bigint): Buffer => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(value, 0);
    return buf;
  },
  // JSON has no bigint: defaults arrive as numbers, and big values leave as decimal strings.
  fromJSON: (json: unknown): bigint => {
    if (typeof json === 'number' && Number.isSafeInteger(json)) return BigInt(json);
    if (typeof json === 'string' && /^-?\d{1,19}$/.test(json)) return BigInt(json);
    if (typeof json === 'bigint') return json;
    throw new TypeError(`not a long: ${String(json)}`);
  },
  toJSON: (value: bigint): number | string => {
    const asNumber = Number(value);
    return Number.isSafeInteger(asNumber) ? asNumber : value.toString();
  },
  isValid: (value: unknown): boolean => isLong(value),
  compare: (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0),
});

function isPlainLong(schema: Schema): boolean {
  if (schema === 'long') return true;
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return false;
  const { type, logicalType } = schema as { type?: unknown; logicalType?: unknown };
  return type === 'long' && logicalType === undefined;
}

/** avsc type hook: plain longs become the bigint long; everything else is left to avsc. */
export function bigintLongHook(schema: Schema): Type | undefined {
  return isPlainLong(schema) ? bigintLongType : undefined;
}

/**
 * Fresh options for `Type.forSchema` (and for @kafkajs/confluent-schema-registry's AVRO
 * options). Fresh each call because avsc records every named type in `opts.registry`, and a
 * shared registry would reject the second parse of the same record name as a duplicate.
 */
export function avroTypeOptions(): { typeHook: (schema: Schema) => Type | undefined; wrapUnions: 'auto' } {
  return { typeHook: bigintLongHook, wrapUnions: 'auto' };
}

/** Parses a schema (object or JSON text) with the project's options. Throws avsc's error on a bad schema. */
export function parseAvro(schema: Schema | string): Type {
  const parsed: Schema = typeof schema === 'string' ? (JSON.parse(schema) as Schema) : schema;
  return avro.Type.forSchema(parsed, avroTypeOptions());
}
