/**
 * Every bound the ingress API enforces, with the reason beside it. Relations between them are
 * asserted at load.
 */
import assert from 'node:assert/strict';

/** Request bodies above this are refused with 413; a payment request is well under 4 KiB. */
export const BODY_BYTES_MAX = 64 * 1024;
/** A signed timestamp further than this from our clock is refused (replay window). */
export const SIGNATURE_SKEW_S_MAX = 300;
/** Nonces are remembered this long: longer than the whole window a timestamp can be accepted in. */
export const NONCE_TTL_S = 600;
export const NONCE_LENGTH_MIN = 16;
export const NONCE_LENGTH_MAX = 64;
export const KEY_ID_LENGTH_MAX = 64;
/** Idempotency records live a day, as the contract promises merchants. */
export const IDEMPOTENCY_TTL_S = 24 * 60 * 60;
export const IDEMPOTENCY_KEY_LENGTH_MAX = 255;
/** An in-flight lock outlives the slowest request (produce deadline plus database time). */
export const IDEMPOTENCY_LOCK_TTL_MS = 30_000;
/** How long a durable produce may take before the API answers 503. */
export const PRODUCE_TIMEOUT_MS = 5_000;
/**
 * Commands from concurrent requests share one produce request (each still waits for acks=-1 on
 * its own record): at most this many per batch...
 */
export const PRODUCE_BATCH_RECORDS_MAX = 500;
/** ...and at most this many produce requests in flight; more requests wait and join the next batch. */
export const PRODUCE_IN_FLIGHT_MAX = 4;
/** Commands waiting for a produce slot; beyond this the API sheds load with 503 instead of queueing. */
export const PRODUCE_QUEUE_RECORDS_MAX = 10_000;
export const MERCHANT_ORDER_ID_LENGTH_MAX = 64;
export const DESCRIPTION_LENGTH_MAX = 500;
export const METADATA_ENTRIES_MAX = 20;
export const METADATA_KEY_LENGTH_MAX = 40;
export const METADATA_VALUE_LENGTH_MAX = 500;
export const CUSTOMER_ID_LENGTH_MAX = 64;
export const DEVICE_ID_LENGTH_MAX = 128;
export const URL_LENGTH_MAX = 2048;
export const REASON_LENGTH_MAX = 200;
export const LIST_LIMIT_MAX = 100;
export const LIST_LIMIT_DEFAULT = 20;
/** Decrypted merchant secrets are cached briefly so a request needs no database round trip. */
export const MERCHANT_CACHE_TTL_MS = 60_000;
export const MERCHANT_CACHE_ENTRIES_MAX = 10_000;
/** Token bucket per merchant: a burst of this many requests... */
export const RATE_LIMIT_BURST = 200;
/** ...refilled at this rate. */
export const RATE_LIMIT_PER_S = 100;
/** Retry-After on a 503: dependencies usually come back within seconds. */
export const UNAVAILABLE_RETRY_AFTER_S = 2;

assert.ok(NONCE_TTL_S >= 2 * SIGNATURE_SKEW_S_MAX, 'a nonce must be remembered for the whole window its timestamp is accepted in');
assert.ok(IDEMPOTENCY_LOCK_TTL_MS > PRODUCE_TIMEOUT_MS * 2, 'the in-flight lock must outlive the produce deadline');
assert.ok(LIST_LIMIT_DEFAULT <= LIST_LIMIT_MAX);
assert.ok(PRODUCE_QUEUE_RECORDS_MAX >= PRODUCE_BATCH_RECORDS_MAX * PRODUCE_IN_FLIGHT_MAX);
assert.ok(RATE_LIMIT_BURST >= RATE_LIMIT_PER_S);

/**
 * Group commit of accepted payments: concurrent requests share one PostgreSQL transaction (one
 * multi-row INSERT, one produce of their commands, one COMMIT), so round trips per request fall
 * as load rises. A batch is cut at this many payments; small enough that one slow batch delays
 * few requests, large enough to absorb 50+ concurrent connections in one go.
 */
export const ACCEPT_BATCH_PAYMENTS_MAX = 128;
/**
 * Batches committing at once. One: the next batch fills while this one waits for Kafka and the
 * WAL flush, so under load batches grow instead of multiplying; measured on the API benchmark's
 * load, 1 gives batches of about 23 payments and 5-10% fewer CPU seconds per payment than 2
 * (batches of 13) or 4 (10). A stalled batch holds the next one back either way: both wait on
 * the same producer and the same WAL.
 */
export const ACCEPT_BATCHES_IN_FLIGHT_MAX = 1;
