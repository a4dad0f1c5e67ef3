/**
 * Named limits of the producer, transaction and group coordinators, each with its reason.
 * Relations between them are asserted at load so a bad edit fails at start.
 */
import assert from 'node:assert/strict';

/** Kafka keeps the last 5 batches per producer: the most a client may have in flight (spec §4). */
export const PRODUCER_BATCHES_CACHED = 5;

/** Largest int32: producer sequences wrap to 0 after it (Kafka DefaultRecordBatch.incrementSequence). */
export const SEQUENCE_MAX = 2_147_483_647;

/** Largest int16: producer epochs live in an i16 on the wire; at the top a new producer id is issued. */
export const PRODUCER_EPOCH_MAX = 32_767;

/**
 * Producers remembered per partition. Kafka expires idle producer ids after a day; a development
 * broker instead forgets the least recently active producer (never one with an open transaction)
 * once this many have written to one partition. A forgotten producer's next batch must start a
 * fresh sequence (45 otherwise), which only a producer silent for thousands of others can hit.
 */
export const PRODUCERS_PER_PARTITION_MAX = 10_000;

/**
 * Aborted ranges are not capped by count: each one stands for an ABORT marker stored in the log,
 * so the log's retention bounds them (PartitionStateImpl.dropBefore is called as segments go).
 * Dropping one early would show aborted records to read_committed consumers.
 */
export const ABORTED_RANGES_UNCAPPED_REASON = 'bounded by the ABORT markers the log retains';

/**
 * Producer ids reserved per write of the high-water file. Each reservation costs an fsync'd
 * rename; ids skipped by a restart are never reused (i64 space), so a block of 1000 wastes nothing.
 */
export const PRODUCER_ID_BLOCK_SIZE = 1_000;

/** Producer ids stay below 2^53 so they are exact JS numbers (contracts.ts). */
export const PRODUCER_ID_MAX = Number.MAX_SAFE_INTEGER;

/**
 * Longest journal line (one transaction or one group's offsets batch). A line is read whole at
 * start; the bound keeps a runaway record from making the file unloadable.
 */
export const JOURNAL_LINE_BYTES_MAX = 4 * 1024 * 1024;

assert.ok(PRODUCER_BATCHES_CACHED >= 1);
assert.ok(PRODUCER_ID_BLOCK_SIZE >= 1 && PRODUCER_ID_BLOCK_SIZE < PRODUCER_ID_MAX);

/** Kafka's transaction.max.timeout.ms default: a longer InitProducerId timeout gets 50 (spec §7). */
export const TRANSACTION_TIMEOUT_MS_MAX = 900_000;

/**
 * Transactional ids remembered. Kafka expires idle ones after 7 days; here the least recently
 * used id without an open transaction is forgotten once this many exist (its producer would get
 * 49 and re-initialise). Each is one journal line at start.
 */
export const TRANSACTIONAL_IDS_MAX = 10_000;

/** Kafka caps ids and group names at a short string; these become journal keys. */
export const TRANSACTIONAL_ID_LENGTH_MAX = 1_000;

/** Partitions one transaction may touch: each gets a marker, written synchronously in EndTxn. */
export const TRANSACTION_PARTITIONS_MAX = 10_000;

/** Groups one transaction may commit offsets to (AddOffsetsToTxn). */
export const TRANSACTION_GROUPS_MAX = 100;

/**
 * A journal is rewritten compactly once it exceeds twice its last compacted size plus this
 * slack: appends are one line per state change, so the file stays within a small multiple of
 * the live state and compaction cost is amortised over many appends.
 */
export const JOURNAL_COMPACT_SLACK_BYTES = 1024 * 1024;

/** Kafka's offset.metadata.max.bytes default: longer commit metadata gets 12. */
export const OFFSET_METADATA_BYTES_MAX = 4_096;

/** Partitions with a committed offset per group; a commit adding more gets 28. */
export const GROUP_OFFSETS_MAX = 100_000;

/** Offsets one producer may stage in one group before its transaction ends; more gets 28. */
export const GROUP_PENDING_OFFSETS_MAX = 10_000;

/**
 * Bytes of JSON entries packed into one offsets journal line. Half the line limit leaves room
 * for the line's own fields; one entry (a topic name plus OFFSET_METADATA_BYTES_MAX, even fully
 * JSON-escaped at 6 bytes a byte) is far smaller, so any commit splits into valid lines.
 */
export const OFFSETS_JOURNAL_CHUNK_BYTES = JOURNAL_LINE_BYTES_MAX / 2;

/** Groups known (with members or committed offsets); a JoinGroup creating one more gets 15. */
export const GROUPS_MAX = 10_000;

/** Members per group (Kafka group.max.size); one more gets 81. */
export const GROUP_MEMBERS_MAX = 1_000;

/** Group ids, member ids, client ids and protocol names longer than this get 24 / 42. */
export const GROUP_STRING_LENGTH_MAX = 1_000;

/** Protocols one JoinGroup may offer (librdkafka offers 2, kafkajs 1). */
export const GROUP_PROTOCOLS_MAX = 32;

/**
 * Session timeouts accepted (26 outside). Kafka allows 6000 to 1800000 ms; the lower bound is
 * relaxed so tests can watch a silent member expire quickly (spec §6).
 */
export const GROUP_SESSION_TIMEOUT_MS_MIN = 100;
export const GROUP_SESSION_TIMEOUT_MS_MAX = 1_800_000;

/** Longest rebalance timeout honoured; a larger request value is clamped so a phase always ends. */
export const GROUP_REBALANCE_TIMEOUT_MS_MAX = 1_800_000;

assert.ok(6 * (OFFSET_METADATA_BYTES_MAX + 249) + 64 < OFFSETS_JOURNAL_CHUNK_BYTES, 'one offset entry must fit a journal chunk');
assert.ok(GROUP_SESSION_TIMEOUT_MS_MIN < GROUP_SESSION_TIMEOUT_MS_MAX);
