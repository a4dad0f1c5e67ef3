/**
 * Named limits of the partition log, each with the reason it has the value it has.
 * Relations between them are asserted at load, so a bad edit fails at start, not at 3 a.m.
 */
import assert from 'node:assert/strict';

/** A magic-2 batch header is 61 bytes (spec §3); nothing shorter can be a batch. */
export const BATCH_HEADER_BYTES = 61;

/** baseOffset (8) + batchLength (4): the part of a batch that batchLength does not count. */
export const LOG_OVERHEAD_BYTES = 12;

/**
 * Largest batch accepted or read back: Kafka's message.max.bytes default is ~1 MiB; we allow
 * more so large test payloads pass, but bound it so a corrupt length field cannot make recovery
 * or a read allocate gigabytes.
 */
export const MAX_BATCH_BYTES = 16 * 1024 * 1024;

/** Records in one uncompressed batch we are willing to decode (tests, compaction). */
export const MAX_RECORDS_PER_BATCH = 1_000_000;

/** Sparse index cadence: one entry per this many log bytes (Kafka's index.interval.bytes). */
export const INDEX_INTERVAL_BYTES = 4096;

/** Segment positions are stored as i32 in the index, so a segment must stay below 2 GiB. */
export const MAX_SEGMENT_BYTES = 1024 * 1024 * 1024;

/** Smallest segment.bytes we accept: room for at least one control batch. */
export const MIN_SEGMENT_BYTES = 128;

/** Bytes read per syscall while scanning a segment (recovery, index rebuild, compaction). */
export const SCAN_CHUNK_BYTES = 1024 * 1024;

/** Extra bytes read beyond maxBytes on a fetch so the next batch header is usually in the buffer. */
export const READ_SLACK_BYTES = 64 * 1024;

/** Segments per partition opened at start; more means a misconfigured segment.bytes. */
export const MAX_SEGMENTS_PER_PARTITION = 100_000;

/** Distinct keys compaction tracks in memory per partition; above this the run is skipped. */
export const MAX_COMPACTION_KEYS = 5_000_000;

/** Partitions per topic; the broker is single-node, so more only wastes file descriptors. */
export const MAX_PARTITIONS_PER_TOPIC = 1000;

/** Kafka's topic name length limit (Topic.MAX_NAME_LENGTH). */
export const MAX_TOPIC_NAME_LENGTH = 249;

assert.ok(MIN_SEGMENT_BYTES > BATCH_HEADER_BYTES + 17, 'a segment must hold a control batch');
assert.ok(MAX_BATCH_BYTES <= MAX_SEGMENT_BYTES, 'a batch must fit in a segment');
assert.ok(MAX_SEGMENT_BYTES < 2 ** 31, 'index positions are i32');
assert.ok(SCAN_CHUNK_BYTES >= BATCH_HEADER_BYTES, 'a scan chunk must hold a header');
assert.ok(INDEX_INTERVAL_BYTES >= BATCH_HEADER_BYTES, 'index entries sparser than batches');
