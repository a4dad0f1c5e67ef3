/**
 * A stand-in for the registry codec in tests: the Confluent wire format (magic byte 0, a 4-byte
 * big-endian schema id, then the payload) with JSON as the payload, and the codec's typed errors
 * ('bad_magic', 'schema_unknown', 'malformed'). Only schema ids in `known` decode.
 */
import { PaystreamError } from '../../../lib/errors.ts';
import type { ValueDecoder, ValueEncoder } from '../types.ts';

export type WireErrorCode = 'bad_magic' | 'schema_unknown' | 'malformed';

const MAGIC = 0;
const HEADER_BYTES = 5;

export function wireBytes(schemaId: number, value: unknown, magic = MAGIC): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt8(magic, 0);
  header.writeUInt32BE(schemaId, 1);
  return Buffer.concat([header, Buffer.from(JSON.stringify(value), 'utf8')]);
}

export function wireCodec<T>(known: ReadonlySet<number>, schemaIdFor: (topic: string) => number): ValueDecoder<T> & ValueEncoder<T> {
  return {
    decode(bytes: Buffer): T {
      if (bytes.length < HEADER_BYTES) throw new PaystreamError<WireErrorCode>('malformed', `value of ${bytes.length} bytes is shorter than the wire header`);
      if (bytes.readUInt8(0) !== MAGIC) throw new PaystreamError<WireErrorCode>('bad_magic', `magic byte ${bytes.readUInt8(0)}, expected ${MAGIC}`);
      const id = bytes.readUInt32BE(1);
      if (!known.has(id)) throw new PaystreamError<WireErrorCode>('schema_unknown', `schema id ${id} is not registered`);
      try {
        return JSON.parse(bytes.subarray(HEADER_BYTES).toString('utf8')) as T;
      } catch (err) {
        throw new PaystreamError<WireErrorCode>('malformed', 'payload is not valid', { cause: err });
      }
    },
    encode(value: T, topic: string): Buffer {
      return wireBytes(schemaIdFor(topic), value);
    },
  };
}
