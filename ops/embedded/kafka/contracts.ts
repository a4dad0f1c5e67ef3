/**
 * The seams between the embedded broker's parts. Each part lives in its own folder:
 *
 *   protocol/     wire primitives and one codec module per API (request decode, response encode)
 *   log/          record-batch helpers, segmented partition logs, retention, compaction, LogManager
 *   coordinator/  producer/partition transaction state, transaction coordinator, group coordinator
 *   broker.ts     the request handlers that join them; server.ts the TCP listener; main.ts the CLI
 *
 * Offsets, producer ids and timestamps are JS numbers: a single-node broker never gets near
 * 2^53, and the codecs convert at the wire (i64) boundary and assert the range.
 * Spec followed: ../../../../shared/kafka-broker-spec.md (kept in the README's broker section).
 */

/** Kafka error codes the broker answers with (https://kafka.apache.org/protocol#protocol_error_codes). */
export const ErrorCode = {
  NONE: 0,
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  INVALID_FETCH_SIZE: 4,
  LEADER_NOT_AVAILABLE: 5,
  REQUEST_TIMED_OUT: 7,
  MESSAGE_TOO_LARGE: 10,
  OFFSET_METADATA_TOO_LARGE: 12,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  INVALID_TOPIC_EXCEPTION: 17,
  RECORD_LIST_TOO_LARGE: 18,
  INVALID_REQUIRED_ACKS: 21,
  ILLEGAL_GENERATION: 22,
  INCONSISTENT_GROUP_PROTOCOL: 23,
  INVALID_GROUP_ID: 24,
  UNKNOWN_MEMBER_ID: 25,
  INVALID_SESSION_TIMEOUT: 26,
  REBALANCE_IN_PROGRESS: 27,
  INVALID_COMMIT_OFFSET_SIZE: 28,
  UNSUPPORTED_VERSION: 35,
  TOPIC_ALREADY_EXISTS: 36,
  INVALID_PARTITIONS: 37,
  INVALID_REPLICATION_FACTOR: 38,
  INVALID_REQUEST: 42,
  INVALID_CONFIG: 40,
  OUT_OF_ORDER_SEQUENCE_NUMBER: 45,
  INVALID_PRODUCER_EPOCH: 47,
  INVALID_TXN_STATE: 48,
  INVALID_PRODUCER_ID_MAPPING: 49,
  INVALID_TRANSACTION_TIMEOUT: 50,
  CONCURRENT_TRANSACTIONS: 51,
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 53,
  OPERATION_NOT_ATTEMPTED: 55,
  UNKNOWN_PRODUCER_ID: 59,
  GROUP_ID_NOT_FOUND: 69,
  GROUP_MAX_SIZE_REACHED: 81,
} as const;
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Per-topic configuration; set through CreateTopics configs or broker defaults. */
export interface TopicConfig {
  partitions: number;
  /** retention.ms; -1 keeps forever. */
  retentionMs: number;
  /** retention.bytes per partition; -1 means no size limit. */
  retentionBytes: number;
  cleanupPolicy: 'delete' | 'compact' | 'compact,delete';
  /** segment.bytes: a segment rolls once it reaches this size. */
  segmentBytes: number;
  /** delete.retention.ms: how long tombstones survive compaction. */
  deleteRetentionMs: number;
}

/** The 61-byte record batch header (magic 2), decoded. */
export interface BatchHeader {
  baseOffset: number;
  /** Bytes after the batchLength field; the whole batch is batchLength + 12 bytes. */
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
  isTransactional: boolean;
  isControl: boolean;
  /**
   * For a control batch (isControl): the type from its one record's key (spec §3: i16 version,
   * i16 type, 0 = ABORT, 1 = COMMIT). Partition state needs it to record aborted ranges when it
   * is rebuilt from stored headers, so header decoders of stored batches fill it in.
   */
  controlType?: 'abort' | 'commit';
}

/** One partition's persistent log. Implemented by log/partition-log.ts. */
export interface PartitionLog {
  readonly topic: string;
  readonly partition: number;
  /** First offset still stored (moves on retention). */
  logStartOffset(): number;
  /** Offset the next appended record gets; equals the high watermark on one node. */
  logEndOffset(): number;
  /**
   * Appends one validated magic-2 batch, rewriting its baseOffset to the log end offset.
   * The bytes have been handed to the OS (write(2)) before this returns, so a SIGKILL of the
   * broker loses nothing that was acknowledged; fsync follows the configured interval.
   */
  append(batch: Buffer): { baseOffset: number; lastOffset: number };
  /**
   * Whole stored batches with lastOffset >= fetchOffset and baseOffset < limitOffset,
   * concatenated, at most maxBytes except that the first qualifying batch is always
   * included (KIP-74). lastOffset is that of the last returned batch, or -1 when none.
   */
  read(fetchOffset: number, limitOffset: number, maxBytes: number): { bytes: Buffer; lastOffset: number };
  /** First offset whose batch maxTimestamp >= timestampMs, or the log end offset when none. */
  offsetForTimestamp(timestampMs: number): number;
  /** Every stored batch header from fromOffset on, in order (used to rebuild producer state). */
  headers(fromOffset: number): Iterable<BatchHeader>;
  /** fsync the active segment and index. */
  sync(): void;
  close(): void;
}

/** All topics on disk. Implemented by log/log-manager.ts. */
export interface LogManager {
  /** Creates the topic's directories and persists its config; throws TopicExistsError. */
  createTopic(name: string, config: TopicConfig): void;
  /** Closes and removes every partition of the topic; throws UnknownTopicError. */
  deleteTopic(name: string): void;
  topicConfig(name: string): TopicConfig | undefined;
  topicNames(): string[];
  partition(topic: string, partition: number): PartitionLog | undefined;
  /** Runs retention and compaction on every partition now (a timer also calls this). */
  runCleanup(nowMs: number): void;
  close(): void;
}

/** Outcome of checking a produced batch against the producer state of its partition. */
export type ProduceCheck =
  | { kind: 'append' }
  | { kind: 'duplicate'; baseOffset: number }
  | { kind: 'error'; code: ErrorCodeValue };

/** An aborted transaction range on one partition, as Fetch v4 reports it. */
export interface AbortedRange {
  producerId: number;
  firstOffset: number;
  /** Offset of the ABORT marker. */
  lastOffset: number;
}

/**
 * Per-partition producer and transaction state (coordinator/partition-state.ts). Derived
 * entirely from the log: the broker feeds it every stored batch header at start, and every
 * appended one afterwards, so nothing extra needs persisting.
 */
export interface PartitionState {
  /** Idempotence/epoch checks of spec §4, before appending. */
  check(header: BatchHeader): ProduceCheck;
  /** Records an appended batch (data or control) at its assigned base offset. */
  observe(header: BatchHeader): void;
  /** Last stable offset given the high watermark. */
  lastStableOffset(highWatermark: number): number;
  /** Aborted ranges overlapping [fromOffset, toOffset], sorted by firstOffset. */
  abortedRanges(fromOffset: number, toOffset: number): AbortedRange[];
}

/** What the transaction coordinator needs from the broker to finish a transaction. */
export interface MarkerWriter {
  /** Appends a COMMIT or ABORT control batch for pid/epoch to topic/partition; returns its offset. */
  writeMarker(topic: string, partition: number, producerId: number, producerEpoch: number, commit: boolean): number;
}

/** How a test or the launcher starts a broker in-process (ops/embedded/kafka/index.ts). */
export interface BrokerOptions {
  dataDir: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Address clients are told to connect to; defaults to host:port. */
  advertisedHost?: string;
  autoCreateTopics?: boolean;
  defaultPartitions?: number;
  /** Group coordinator initial rebalance delay (Kafka 3000 ms). */
  groupInitialRebalanceDelayMs?: number;
  /** fsync interval for partition logs; 0 fsyncs every append. */
  fsyncIntervalMs?: number;
  /** How often the transaction timeout scan runs. */
  transactionCheckIntervalMs?: number;
}

export interface RunningBroker {
  readonly host: string;
  readonly port: number;
  /** "host:port" for kafkajs `brokers` and kcat `-b`. */
  readonly bootstrap: string;
  close(): Promise<void>;
}
