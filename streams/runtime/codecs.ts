/**
 * Value codecs for processors that do not go through the schema registry: raw bytes (copying,
 * replaying dead letters) and UTF-8 JSON (tests, tools). Avro processors pass the registry
 * codec from schemas/ instead.
 */
import type { ValueDecoder, ValueEncoder } from './types.ts';

/** Values pass through as the bytes they are. */
export const bytesCodec: ValueDecoder<Buffer> & ValueEncoder<Buffer> = Object.freeze({
  decode: (bytes: Buffer) => bytes,
  encode: (value: Buffer) => value,
});
