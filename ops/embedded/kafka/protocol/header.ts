/**
 * Request header v1 and response header v0 (https://kafka.apache.org/protocol#protocol_messages).
 * Every API version the broker speaks predates flexible versions (spec §1), so no header here
 * carries tagged fields; that holds even for the ApiVersions v3 answer, whose header is v0.
 */
import { type Reader, Writer } from './primitives.ts';

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  /** Nullable in header v1; kafkajs and librdkafka both send one. */
  clientId: string | null;
}

export function decodeRequestHeader(r: Reader): RequestHeader {
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  const clientId = r.nullableString();
  return { apiKey, apiVersion, correlationId, clientId };
}

/** For test clients: the request header as a client sends it. */
export function encodeRequestHeader(w: Writer, h: RequestHeader): void {
  w.int16(h.apiKey).int16(h.apiVersion).int32(h.correlationId).nullableString(h.clientId);
}

export function encodeResponseHeader(w: Writer, correlationId: number): void {
  w.int32(correlationId);
}

export function decodeResponseHeader(r: Reader): { correlationId: number } {
  return { correlationId: r.int32() };
}

/** Prefixes a payload with its i32 size, making one wire frame. */
export function frame(payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(4 + payload.length);
  out.writeInt32BE(payload.length, 0);
  payload.copy(out, 4);
  return out;
}

/**
 * A whole response frame: size, correlation id, then the encoded body.
 * The server's handler contract takes the response without the size (`responseWithoutSize`).
 */
export function frameResponse(correlationId: number, body: Buffer): Buffer {
  return frame(responseWithoutSize(correlationId, body));
}

/** Correlation id followed by the body: what the server's FrameHandler replies with. */
export function responseWithoutSize(correlationId: number, body: Buffer): Buffer {
  const w = new Writer(4 + body.length);
  encodeResponseHeader(w, correlationId);
  w.raw(body);
  return w.finish();
}
