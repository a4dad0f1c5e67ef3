/**
 * What a processor supplies to the runtime and what it gets back. A handler sees decoded
 * records and returns the records to produce; it never touches the Kafka client, so the
 * runtime alone decides what is committed and when.
 */
import type { Logger } from '../../lib/logger.ts';
import { PaystreamError } from '../../lib/errors.ts';

export interface InputRecord<V> {
  /** The record key as UTF-8 (payment topics are keyed by paymentId); null when absent. */
  key: string | null;
  value: V;
  /** First value of each header as UTF-8, read-only. */
  headers: Readonly<Record<string, string>>;
  topic: string;
  partition: number;
  /** Kafka offset as a decimal string (int64). */
  offset: string;
  /** This hop's W3C traceparent: the one the runtime puts on every output. */
  traceparent: string;
}

export interface OutputRecord<O> {
  topic: string;
  key: string | null;
  value: O;
  /** Extra headers; the runtime sets `traceparent` and `tracestate` itself. */
  headers?: Readonly<Record<string, string | Buffer>>;
  /** Only when the processor must pick the partition; otherwise the key decides. */
  partition?: number;
}

export interface HandlerContext {
  /** Logger bound to this record's traceId, spanId and key. */
  log: Logger;
  /** 1 on the first try, counting up on in-place retries. */
  attempt: number;
}

/**
 * Pure-ish: may read (a cache, a database) but its effects outside Kafka must be idempotent,
 * because a record is handled again when its transaction aborts. Throw an error with
 * `retriable: true` for a transient failure; anything else dead-letters the record.
 */
export type Handler<V, O> = (record: InputRecord<V>, context: HandlerContext) => Promise<readonly OutputRecord<O>[]>;

/**
 * Turns the bytes of a record value into the handler's value. Throws an error with a stable
 * `code` (the Avro codec's: 'bad_magic', 'schema_unknown', 'malformed') for bytes it cannot
 * read; `retriable: true` only for a transient cause (the registry unreachable).
 */
export interface ValueDecoder<V> {
  decode(bytes: Buffer, topic: string): Promise<V> | V;
}

/** Turns an output value into bytes for `topic` (errors as for the decoder). */
export interface ValueEncoder<O> {
  encode(value: O, topic: string): Promise<Buffer> | Buffer;
}

/**
 * Lifecycle: idle → starting → running → stopping → stopped; `failed` when the consumer
 * crashed and will not restart by itself (the process should exit and be restarted).
 */
export type ProcessorState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

export type RuntimeErrorCode =
  /** A record without a value (a tombstone) reached a processor that expects values. */
  | 'value_missing'
  /** A handler returned more outputs than OUTPUTS_PER_RECORD_MAX. */
  | 'outputs_too_many'
  /** Something threw without a stable code: a bug in the handler or a library. */
  | 'unexpected_error'
  /** start() on a processor that is not idle, or similar misuse. */
  | 'processor_state';

export class RuntimeError extends PaystreamError<RuntimeErrorCode> {
  constructor(code: RuntimeErrorCode, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(code, message, options);
    this.name = 'RuntimeError';
  }
}

/** A failure reduced to what decides its fate: a stable code and whether retrying may help. */
export interface Failure {
  code: string;
  message: string;
  retriable: boolean;
  error: unknown;
}

/**
 * Reads `code` and `retriable` off any error that carries them (PaystreamError and the
 * codec's errors do). An error without a code is a bug somewhere: never retried.
 */
export function classifyFailure(err: unknown): Failure {
  if (typeof err === 'object' && err !== null) {
    const { code, retriable, message } = err as { code?: unknown; retriable?: unknown; message?: unknown };
    const text = typeof message === 'string' ? message : String(err);
    if (typeof code === 'string' && code.length > 0) return { code, message: text, retriable: retriable === true, error: err };
    return { code: 'unexpected_error', message: text, retriable: false, error: err };
  }
  return { code: 'unexpected_error', message: String(err), retriable: false, error: err };
}
