/**
 * Typed errors of the partition log. Each carries the Kafka error code the broker answers with,
 * so handlers map them without looking at messages.
 */
import { PaystreamError } from '../../../../lib/errors.ts';
import { ErrorCode, type ErrorCodeValue } from '../contracts.ts';

export type LogErrorCode =
  | 'corrupt_batch'
  | 'unsupported_magic'
  | 'batch_count'
  | 'batch_too_large'
  | 'compressed_batch'
  | 'topic_exists'
  | 'unknown_topic'
  | 'invalid_topic_name'
  | 'invalid_topic_config';

export class LogError extends PaystreamError<LogErrorCode> {
  /** What the broker puts in the response for this failure. */
  readonly kafkaCode: ErrorCodeValue;

  constructor(code: LogErrorCode, kafkaCode: ErrorCodeValue, message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
    this.name = 'LogError';
    this.kafkaCode = kafkaCode;
  }
}

/** A produced or stored batch is malformed (bad length, bad CRC, wrong magic, wrong count). */
export class CorruptBatchError extends LogError {
  constructor(code: 'corrupt_batch' | 'unsupported_magic' | 'batch_count', message: string) {
    super(code, ErrorCode.CORRUPT_MESSAGE, message);
    this.name = 'CorruptBatchError';
  }
}

export class BatchTooLargeError extends LogError {
  constructor(sizeBytes: number, maxBytes: number) {
    super('batch_too_large', ErrorCode.MESSAGE_TOO_LARGE, `batch of ${sizeBytes} bytes exceeds ${maxBytes}`);
    this.name = 'BatchTooLargeError';
  }
}

/** Records of a compressed batch cannot be decoded here; they are stored and served as-is. */
export class CompressedBatchError extends LogError {
  constructor(codec: number) {
    super('compressed_batch', ErrorCode.CORRUPT_MESSAGE, `cannot decode records of a batch with codec ${codec}`);
    this.name = 'CompressedBatchError';
  }
}

export class TopicExistsError extends LogError {
  constructor(topic: string) {
    super('topic_exists', ErrorCode.TOPIC_ALREADY_EXISTS, `topic ${topic} already exists`);
    this.name = 'TopicExistsError';
  }
}

export class UnknownTopicError extends LogError {
  constructor(topic: string) {
    super('unknown_topic', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic ${topic} does not exist`);
    this.name = 'UnknownTopicError';
  }
}

export class InvalidTopicNameError extends LogError {
  constructor(topic: string, why: string) {
    super('invalid_topic_name', ErrorCode.INVALID_TOPIC_EXCEPTION, `invalid topic name ${JSON.stringify(topic.slice(0, 300))}: ${why}`);
    this.name = 'InvalidTopicNameError';
  }
}

/** A topic config value is out of range; `partitions` problems map to INVALID_PARTITIONS. */
export class InvalidTopicConfigError extends LogError {
  readonly setting: string;

  constructor(setting: string, expected: string, got: unknown) {
    super(
      'invalid_topic_config',
      setting === 'partitions' ? ErrorCode.INVALID_PARTITIONS : ErrorCode.INVALID_CONFIG,
      `${setting} must be ${expected}; got ${JSON.stringify(got)}`,
    );
    this.name = 'InvalidTopicConfigError';
    this.setting = setting;
  }
}
