/**
 * W3C Trace Context `traceparent` (https://www.w3.org/TR/trace-context/#traceparent-header):
 * `version-traceid-parentid-flags`, lower-case hex. Each processor hop is a new span: the trace
 * id is kept, the span id is new, and the incoming span id becomes the parent. A missing or
 * invalid header starts a new trace (spec §3.2.2.1: a receiver that cannot parse it restarts).
 */
import { randomHex as pooledRandomHex } from '../../lib/random.ts';

export const TRACEPARENT_HEADER = 'traceparent';
export const TRACESTATE_HEADER = 'tracestate';

export interface TraceContext {
  traceId: string;
  spanId: string;
  /** Bit 0 is "sampled". */
  flags: number;
}

export interface Hop {
  /** This hop's context: what goes on output headers and into logs. */
  context: TraceContext;
  /** The upstream span id, when the input carried a valid traceparent. */
  parentSpanId: string | undefined;
}

const TRACE_ID_RE = /^[0-9a-f]{32}$/;
const SPAN_ID_RE = /^[0-9a-f]{16}$/;
const VERSION_RE = /^[0-9a-f]{2}$/;
const FLAGS_RE = /^[0-9a-f]{2}$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);
/** Sampled: we log every hop, so new traces are marked sampled. */
const FLAG_SAMPLED = 0x01;

/** Parses a traceparent value; undefined for anything the spec says to reject. */
export function parseTraceparent(value: string | undefined): TraceContext | undefined {
  if (value === undefined) return undefined;
  const parts = value.trim().split('-');
  if (parts.length < 4) return undefined;
  const [version, traceId, spanId, flags] = parts as [string, string, string, string];
  if (!VERSION_RE.test(version) || version === 'ff') return undefined;
  // Version 00 has exactly four fields; later versions may append fields we ignore (§3.2.4).
  if (version === '00' && parts.length !== 4) return undefined;
  if (!TRACE_ID_RE.test(traceId) || traceId === ZERO_TRACE_ID) return undefined;
  if (!SPAN_ID_RE.test(spanId) || spanId === ZERO_SPAN_ID) return undefined;
  if (!FLAGS_RE.test(flags)) return undefined;
  return { traceId, spanId, flags: Number.parseInt(flags, 16) };
}

export function formatTraceparent(context: TraceContext): string {
  return `00-${context.traceId}-${context.spanId}-${(context.flags & 0xff).toString(16).padStart(2, '0')}`;
}

/** Hex of `bytes` random bytes, never all zeros (the spec forbids all-zero ids). */
function nonZeroHex(bytes: number, randomHex: (n: number) => string): string {
  for (;;) {
    const hex = randomHex(bytes);
    if (/[^0]/.test(hex)) return hex;
  }
}

/** The context of this hop: the incoming trace continued with a new span, or a new trace. */
export function nextHop(incoming: string | undefined, randomHex: (n: number) => string = pooledRandomHex): Hop {
  const parent = parseTraceparent(incoming);
  const spanId = nonZeroHex(8, randomHex);
  if (parent === undefined) return { context: { traceId: nonZeroHex(16, randomHex), spanId, flags: FLAG_SAMPLED }, parentSpanId: undefined };
  return { context: { traceId: parent.traceId, spanId, flags: parent.flags }, parentSpanId: parent.spanId };
}
