/**
 * Bounds of the sandbox acquirers. Each has its reason; relations are asserted below so a
 * bad edit fails at load, not mid-test.
 */
import assert from 'node:assert/strict';

/** Request bodies: a payment request is well under 2 KiB; 64 KiB leaves room and stops floods. */
export const REQUEST_BODY_BYTES_MAX = 64 * 1024;
/** Ground-truth journal entries kept in memory; a benchmark run stays well under this. */
export const JOURNAL_ENTRIES_MAX = 500_000;
/** Identifier fields (request ids, references): our ids are under 100 characters. */
export const ID_LENGTH_MAX = 128;
/** Free text fields (descriptions). */
export const TEXT_LENGTH_MAX = 256;
/** Largest amount accepted, in minor units: 10^15 (ten trillion in a 2-decimal currency) fits every wire format. */
export const AMOUNT_MINOR_MAX = 10n ** 15n;
/** Any single simulated latency or delay; longer would only stall tests. */
export const LATENCY_MS_MAX = 120_000;
/** How long a "timed out" response is held before the socket is dropped. */
export const TIMEOUT_HOLD_MS_MAX = 300_000;
/** Responses held open at once by simulated timeouts; each holds a socket. */
export const HELD_RESPONSES_MAX = 10_000;
/** Callback deliveries waiting or in flight; beyond this new ones are dropped and counted. */
export const CALLBACK_QUEUE_MAX = 100_000;
/** Delivery attempts per callback before the acquirer gives up (real wallets stop after about a day). */
export const CALLBACK_ATTEMPTS_MAX = 20;
/** Callback retry backoff bounds. */
export const CALLBACK_RETRY_DELAY_MS_MIN = 1;
export const CALLBACK_RETRY_DELAY_MS_MAX = 60_000;
/** One callback POST may take this long before it counts as not acknowledged. */
export const CALLBACK_TIMEOUT_MS = 5_000;
/** Extra statement lines a discrepancy setting may add. */
export const STATEMENT_EXTRA_LINES_MAX = 1_000;
/** Signed requests older or newer than this are refused (replay window). */
export const SIGNATURE_SKEW_MS_MAX = 5 * 60_000;

assert.ok(CALLBACK_RETRY_DELAY_MS_MIN <= CALLBACK_RETRY_DELAY_MS_MAX);
assert.ok(LATENCY_MS_MAX <= TIMEOUT_HOLD_MS_MAX, 'a held response must outlast any simulated latency');
assert.ok(AMOUNT_MINOR_MAX < 2n ** 63n, 'amounts must fit a signed 64-bit long');
/** Callback URLs; browsers and proxies agree on about 2 KiB. */
export const URL_LENGTH_MAX = 2048;
/** Callback delivery records kept for inspection; the oldest are forgotten first. */
export const CALLBACK_RECORDS_MAX = 100_000;
