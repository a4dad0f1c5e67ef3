/**
 * Named limits of the embedded schema registry, each with its reason. Relations between them
 * are asserted at load.
 */
import assert from 'node:assert/strict';

/** Request bodies: the largest paystream schema is a few KiB; 1 MiB leaves room for anyone's. */
export const REQUEST_BODY_BYTES_MAX = 1024 * 1024;
/** Subject names: TopicNameStrategy subjects are a topic name (≤ 249) plus "-value". */
export const SUBJECT_LENGTH_MAX = 255;
/** Versions per subject: each registration is a record replayed at every start. */
export const VERSIONS_PER_SUBJECT_MAX = 1000;
/** Subjects in total, for the same reason. */
export const SUBJECTS_MAX = 10_000;
/**
 * Registrations that lose a race with another registry instance retry; each loss means another
 * instance made progress, so a handful of attempts is plenty.
 */
export const REGISTER_ATTEMPTS_MAX = 5;
/** How long a write may take to come back through the `_schemas` topic before the request fails. */
export const READ_BACK_TIMEOUT_MS = 10_000;
/** How long start-up may take to read `_schemas` to its end. */
export const STARTUP_READ_TIMEOUT_MS = 60_000;
/** The consumer's fetch long-poll: short, since writes wait for their own record to come back. */
export const LOG_FETCH_MAX_WAIT_MS = 100;
/** How long close() waits for in-flight requests before closing the Kafka clients. */
export const CLOSE_GRACE_MS = 5_000;

assert.ok(READ_BACK_TIMEOUT_MS <= STARTUP_READ_TIMEOUT_MS, 'a single write cannot be allowed longer than a full replay');
assert.ok(LOG_FETCH_MAX_WAIT_MS * 10 <= READ_BACK_TIMEOUT_MS, 'read-back must cover several fetch rounds');
