/**
 * One record through decode → handler → encode, with in-place retries of transient failures.
 * The result is what to write in the transaction: encoded outputs, or a dead letter with why.
 * No Kafka I/O here, so the retry and dead-letter rules are tested without a broker.
 */
import assert from 'node:assert/strict';
import type { IHeaders, KafkaMessage, Message } from '../../lib/kafka.ts';
import type { Logger } from '../../lib/logger.ts';
import { backoffDelayMs, type BackoffPolicy } from './backoff.ts';
import { DLQ_HEADERS, deadLetterHeaders, headerText, headersView, outputHeaders, retryHeaders, retryInfo } from './headers.ts';
import { HANDLE_ATTEMPTS_MAX, OUTPUTS_PER_RECORD_MAX } from './limits.ts';
import { TRACEPARENT_HEADER, TRACESTATE_HEADER, formatTraceparent, nextHop } from './traceparent.ts';
import { RuntimeError, classifyFailure, type Failure, type Handler, type HandlerContext, type InputRecord, type ValueDecoder, type ValueEncoder } from './types.ts';

export interface TopicMessage {
  topic: string;
  message: Message;
}

export type Outcome =
  | { kind: 'produced'; outputs: TopicMessage[]; attempts: number }
  | { kind: 'retry-later'; retry: TopicMessage; failure: Failure; attempts: number }
  | { kind: 'dead-lettered'; deadLetter: TopicMessage; failure: Failure; attempts: number };

/** Delayed retries: tier n (1-based) is `topics[n-1]`, where a record waits `delaysMs[n-1]`. */
export interface RetryTiers {
  topics: readonly string[];
  delaysMs: readonly number[];
}

export interface HandleDeps<V, O> {
  processor: string;
  handler: Handler<V, O>;
  decoder: ValueDecoder<V>;
  encoder: ValueEncoder<O>;
  logger: Logger;
  /** Dead-letter topic of an input topic. */
  dlqTopic: (topic: string) => string;
  /** Waits between attempts; the processor heartbeats the group meanwhile. */
  sleep: (ms: number) => Promise<void>;
  nowMs: () => number;
  attemptsMax?: number;
  backoff?: BackoffPolicy;
  random?: () => number;
  /** Log field naming the key (payment topics are keyed by paymentId); undefined logs it as `key`. */
  keyLogField?: string;
  /** After the in-place attempts, transient failures wait on these before the dead-letter topic. */
  retry?: RetryTiers;
}

export interface RawRecord {
  topic: string;
  partition: number;
  message: KafkaMessage;
}

/** True for a promise (or any thenable): only those are awaited, so a synchronous codec costs no tick. */
function isThenable<T>(value: Promise<T> | T): value is Promise<T> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** The handler's context; its logger is built on first use (see handleRecord). */
class LazyContext implements HandlerContext {
  readonly attempt: number;
  private readonly makeLog: () => Logger;

  constructor(makeLog: () => Logger, attempt: number) {
    this.makeLog = makeLog;
    this.attempt = attempt;
  }

  get log(): Logger {
    return this.makeLog();
  }
}

async function attemptOnce<V, O>(deps: HandleDeps<V, O>, raw: RawRecord, record: Omit<InputRecord<V>, 'value'>, log: () => Logger, attempt: number, trace: { tracestate: string | undefined }): Promise<TopicMessage[]> {
  const bytes = raw.message.value;
  if (bytes === null) throw new RuntimeError('value_missing', `record at ${raw.topic}/${raw.partition}@${raw.message.offset} has no value`);
  const decoded = deps.decoder.decode(bytes, raw.topic);
  const value = isThenable(decoded) ? await decoded : decoded;
  const outputs = await deps.handler({ ...record, value }, new LazyContext(log, attempt));
  if (outputs.length > OUTPUTS_PER_RECORD_MAX) throw new RuntimeError('outputs_too_many', `handler returned ${outputs.length} outputs; at most ${OUTPUTS_PER_RECORD_MAX}`);
  const encoded: TopicMessage[] = [];
  for (const out of outputs) {
    const encodedValue = deps.encoder.encode(out.value, out.topic);
    const message: Message = {
      key: out.key,
      value: isThenable(encodedValue) ? await encodedValue : encodedValue,
      headers: outputHeaders(out.headers, record.traceparent, trace.tracestate),
    };
    if (out.partition !== undefined) message.partition = out.partition;
    encoded.push({ topic: out.topic, message });
  }
  return encoded;
}

/**
 * Handles one record: outputs to produce, or where it goes instead (a retry topic, the
 * dead-letter topic). A record read from a retry topic is handled as the record it was: its
 * source topic, partition and offset, its key, value and trace.
 */
export async function handleRecord<V, O>(deps: HandleDeps<V, O>, read: RawRecord): Promise<Outcome> {
  const attemptsMax = deps.attemptsMax ?? HANDLE_ATTEMPTS_MAX;
  const headers: IHeaders | undefined = read.message.headers;
  const retried = retryInfo(headers);
  const raw: RawRecord = retried === undefined ? read : { topic: retried.sourceTopic, partition: retried.sourcePartition, message: { ...read.message, offset: retried.sourceOffset } };
  const hop = nextHop(headerText(headers, TRACEPARENT_HEADER));
  const tracestate = headerText(headers, TRACESTATE_HEADER);
  const key = raw.message.key === null ? null : raw.message.key.toString('utf8');
  // A child logger costs more than copying a record (pino re-applies redaction to its
  // bindings), so it is made only when something logs: a retry, a dead letter, the handler.
  let log: Logger | undefined;
  const recordLog = (): Logger =>
    (log ??= deps.logger.child({
      traceId: hop.context.traceId,
      spanId: hop.context.spanId,
      ...(hop.parentSpanId === undefined ? {} : { parentSpanId: hop.parentSpanId }),
      [deps.keyLogField ?? 'key']: key,
      topic: raw.topic,
      partition: raw.partition,
      offset: raw.message.offset,
    }));
  const record = { key, headers: headersView(headers), topic: raw.topic, partition: raw.partition, offset: raw.message.offset, traceparent: formatTraceparent(hop.context) };
  let failure: Failure | undefined;
  let attempt = 1;
  for (; attempt <= attemptsMax; attempt += 1) {
    try {
      const outputs = await attemptOnce(deps, raw, record, recordLog, attempt, { tracestate });
      if (attempt > 1) recordLog().info({ attempt }, 'record handled after retries');
      return { kind: 'produced', outputs, attempts: attempt };
    } catch (err) {
      failure = classifyFailure(err);
      if (!failure.retriable) break;
      if (attempt === attemptsMax) break;
      const delayMs = backoffDelayMs(attempt, deps.backoff, deps.random);
      recordLog().warn({ err, code: failure.code, attempt, delayMs }, 'transient failure; retrying in place');
      await deps.sleep(delayMs);
    }
  }
  // The loop only ends without returning after a failure.
  assert.ok(failure !== undefined, 'a record leaves the attempt loop only with a failure');
  const final = failure;
  const attempts = Math.min(attempt, attemptsMax);
  const delayed = retried?.count ?? 0;
  const tier = deps.retry?.topics[delayed];
  const delayMs = deps.retry?.delaysMs[delayed];
  if (final.retriable && tier !== undefined && delayMs !== undefined) {
    const notBeforeMs = deps.nowMs() + delayMs;
    recordLog().warn({ err: final.error, code: final.code, attempts, retryTopic: tier, notBeforeMs }, 'transient failure outlasted the in-place retries; parked on a retry topic');
    const info = { count: delayed + 1, sourceTopic: raw.topic, sourcePartition: raw.partition, sourceOffset: raw.message.offset, notBeforeMs };
    return { kind: 'retry-later', retry: { topic: tier, message: { key: raw.message.key, value: raw.message.value, headers: retryHeaders(headers, info, final) } }, failure: final, attempts };
  }
  recordLog()[final.code === 'unexpected_error' ? 'error' : 'warn']({ err: final.error, code: final.code, attempts }, 'record dead-lettered');
  const deadLetter: TopicMessage = {
    topic: deps.dlqTopic(raw.topic),
    message: {
      key: raw.message.key,
      value: raw.message.value,
      headers: deadLetterHeaders(headers, {
        code: final.code,
        message: final.message,
        processor: deps.processor,
        topic: raw.topic,
        partition: raw.partition,
        offset: raw.message.offset,
        attempts,
        failedAtMs: deps.nowMs(),
      }),
    },
  };
  if (delayed > 0 && deadLetter.message.headers !== undefined) deadLetter.message.headers[DLQ_HEADERS.delayedRetries] = String(delayed);
  return { kind: 'dead-lettered', deadLetter, failure: final, attempts };
}
