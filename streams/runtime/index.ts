/**
 * The processor runtime: give it a handler, a codec and topics; it runs consume → handle →
 * produce in one Kafka transaction per chunk, retries transient failures in place, dead-letters
 * the rest to `<topic>.dlq`, carries `traceparent` and counts everything in Prometheus.
 */
export { createProcessor, GROUP_TIMINGS_DEFAULT, retryTopicNames } from './processor.ts';
export type { GroupTimings, Processor, ProcessorOptions } from './processor.ts';
export { bytesCodec } from './codecs.ts';
export { DLQ_HEADERS, RETRY_HEADERS } from './headers.ts';
export { RuntimeError, classifyFailure } from './types.ts';
export type { Failure, Handler, HandlerContext, InputRecord, OutputRecord, ProcessorState, RuntimeErrorCode, ValueDecoder, ValueEncoder } from './types.ts';
export { transactionalIdFor } from './producers.ts';
