/**
 * Kafka header handling: the handler's string view of input headers, output headers carrying
 * this hop's traceparent, and the headers a dead letter gets beside the original ones.
 */
import type { IHeaders } from '../../lib/kafka.ts';
import { DLQ_ERROR_MESSAGE_CHARS_MAX, HEADER_VALUE_BYTES_MAX } from './limits.ts';
import { TRACEPARENT_HEADER, TRACESTATE_HEADER } from './traceparent.ts';

/** Header names on a dead letter. Stable: operators' tools and the console read them. */
export const DLQ_HEADERS = Object.freeze({
  errorCode: 'dlq.error.code',
  errorMessage: 'dlq.error.message',
  processor: 'dlq.processor',
  sourceTopic: 'dlq.source.topic',
  sourcePartition: 'dlq.source.partition',
  sourceOffset: 'dlq.source.offset',
  attempts: 'dlq.attempts',
  failedAtMs: 'dlq.failed.at.ms',
  /** Times the record waited on a retry topic before it was dead-lettered (absent: never). */
  delayedRetries: 'dlq.delayed.retries',
} as const);

/** The first value of a header as UTF-8 (Kafka allows repeated keys; kafkajs gives an array). */
/** Headers of a record parked on a retry topic: where it came from and when it is due. */
export const RETRY_HEADERS = Object.freeze({
  count: 'retry.count',
  sourceTopic: 'retry.source.topic',
  sourcePartition: 'retry.source.partition',
  sourceOffset: 'retry.source.offset',
  notBeforeMs: 'retry.not.before.ms',
  errorCode: 'retry.error.code',
  errorMessage: 'retry.error.message',
});

export interface RetryInfo {
  /** Delayed retries so far (1 on the first retry topic). */
  count: number;
  sourceTopic: string;
  sourcePartition: number;
  sourceOffset: string;
  notBeforeMs: number;
}

/** The retry headers of a record read from a retry topic, or undefined for an original record. */
export function retryInfo(headers: IHeaders | undefined): RetryInfo | undefined {
  const count = headerText(headers, RETRY_HEADERS.count);
  const sourceTopic = headerText(headers, RETRY_HEADERS.sourceTopic);
  if (count === undefined || sourceTopic === undefined) return undefined;
  return { count: Number(count), sourceTopic, sourcePartition: Number(headerText(headers, RETRY_HEADERS.sourcePartition) ?? '0'), sourceOffset: headerText(headers, RETRY_HEADERS.sourceOffset) ?? '0', notBeforeMs: Number(headerText(headers, RETRY_HEADERS.notBeforeMs) ?? '0') };
}

/** The original headers (earlier retry headers replaced) plus where the record waits and why. */
export function retryHeaders(original: IHeaders | undefined, info: RetryInfo, failure: { code: string; message: string }): IHeaders {
  const out: IHeaders = { ...original };
  for (const name of Object.values(RETRY_HEADERS)) delete out[name];
  return {
    ...out,
    [RETRY_HEADERS.count]: String(info.count),
    [RETRY_HEADERS.sourceTopic]: info.sourceTopic,
    [RETRY_HEADERS.sourcePartition]: String(info.sourcePartition),
    [RETRY_HEADERS.sourceOffset]: info.sourceOffset,
    [RETRY_HEADERS.notBeforeMs]: String(info.notBeforeMs),
    [RETRY_HEADERS.errorCode]: failure.code,
    [RETRY_HEADERS.errorMessage]: truncate(failure.message, DLQ_ERROR_MESSAGE_CHARS_MAX),
  };
}

export function headerText(headers: IHeaders | undefined, name: string): string | undefined {
  const raw = headers?.[name];
  const first = Array.isArray(raw) ? raw[0] : raw;
  if (first === undefined) return undefined;
  return typeof first === 'string' ? first : first.toString('utf8');
}

/**
 * The handler's read-only view: first value of each header as UTF-8. Oversized values are left
 * out rather than copied into every record's view; the original bytes still reach a dead letter.
 */
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

export function headersView(headers: IHeaders | undefined): Readonly<Record<string, string>> {
  if (headers === undefined) return NO_HEADERS;
  const names = Object.keys(headers);
  if (names.length === 0) return NO_HEADERS;
  const view: Record<string, string> = {};
  for (const name of names) {
    const raw = headers[name];
    const first = Array.isArray(raw) ? raw[0] : raw;
    if (first === undefined) continue;
    const size = typeof first === 'string' ? Buffer.byteLength(first) : first.length;
    if (size > HEADER_VALUE_BYTES_MAX) continue;
    view[name] = typeof first === 'string' ? first : first.toString('utf8');
  }
  return Object.freeze(view);
}

/**
 * Headers of an output record: what the handler set, plus this hop's traceparent (the runtime
 * owns it, so a handler cannot break the chain) and the incoming tracestate, passed on unchanged
 * as the W3C spec asks of a participant that does not add its own entry.
 */
export function outputHeaders(handlerHeaders: Readonly<Record<string, string | Buffer>> | undefined, traceparent: string, tracestate: string | undefined): IHeaders {
  const out: IHeaders = { ...handlerHeaders };
  out[TRACEPARENT_HEADER] = traceparent;
  if (tracestate !== undefined) out[TRACESTATE_HEADER] = tracestate;
  else delete out[TRACESTATE_HEADER];
  return out;
}

export interface DeadLetterReason {
  code: string;
  message: string;
  processor: string;
  topic: string;
  partition: number;
  offset: string;
  attempts: number;
  failedAtMs: number;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The original headers, unchanged, plus why and where the record failed. */
export function deadLetterHeaders(original: IHeaders | undefined, reason: DeadLetterReason): IHeaders {
  return {
    ...original,
    [DLQ_HEADERS.errorCode]: reason.code,
    [DLQ_HEADERS.errorMessage]: truncate(reason.message, DLQ_ERROR_MESSAGE_CHARS_MAX),
    [DLQ_HEADERS.processor]: reason.processor,
    [DLQ_HEADERS.sourceTopic]: reason.topic,
    [DLQ_HEADERS.sourcePartition]: String(reason.partition),
    [DLQ_HEADERS.sourceOffset]: reason.offset,
    [DLQ_HEADERS.attempts]: String(reason.attempts),
    [DLQ_HEADERS.failedAtMs]: String(reason.failedAtMs),
  };
}
