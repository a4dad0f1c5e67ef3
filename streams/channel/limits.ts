/**
 * The channel executor's limits, each with the reason for its value. Relations between them are
 * asserted at load, so a change that breaks one fails at start rather than in production.
 */
import assert from 'node:assert/strict';

/**
 * Channels one payment may be tried on (the routed channel plus its fallbacks). Four is every
 * channel we have; a longer list from the router is cut, never followed past this.
 */
export const CHANNELS_PER_PAYMENT_MAX = 4;
/**
 * Status queries for one ambiguous attempt before the executor stops and leaves the attempt
 * SENT for the reconciliation to settle. Three queries ride out a short blip of the channel;
 * a longer outage must not hold the partition, and failing over instead could charge twice.
 */
export const STATUS_QUERIES_MAX = 3;
/**
 * Deadline of one create call. Card acquirers answer within about 2 s at p99; past this the
 * call is ambiguous and resolved by a status query.
 */
export const CREATE_TIMEOUT_MS = 5_000;
/** Deadline of one status query: a lookup, cheaper than a create. */
export const QUERY_TIMEOUT_MS = 3_000;
/**
 * Calls in flight to one channel from one executor. The sandbox and real acquirers accept a few
 * hundred concurrent connections per merchant; 200 keeps us well inside that and still lets
 * throughput reach 2,000 attempts/s at 100 ms latency.
 */
export const CALLS_IN_FLIGHT_PER_CHANNEL_MAX = 200;
/**
 * Calls in flight to a channel before it has answered anything (the adaptive limit's start, see
 * concurrency.ts). Small enough that a channel found down on start meets only a few calls, below
 * the breaker's own minimum of calls; healthy answers double it per round trip.
 */
export const CALLS_IN_FLIGHT_INITIAL = 4;
/**
 * Payments one executor handles at once per input partition (the runtime's keyConcurrency): each
 * waits on a channel most of its time, so throughput is bounded by this over the channel's
 * latency. With PARTITIONS_CONCURRENT_MAX partitions at once this is enough to fill
 * CALLS_IN_FLIGHT_PER_CHANNEL_MAX.
 */
export const PAYMENTS_IN_FLIGHT_PER_PARTITION = 64;

/** Breaker: width of the sliding window the failure rate is measured over. */
export const BREAKER_WINDOW_MS = 10_000;
/** Breaker: buckets the window is split into (bounds its memory; one bucket expires at a time). */
export const BREAKER_BUCKETS = 10;
/** Breaker: calls the window must hold before a rate means anything (3 of 4 failing is noise). */
export const BREAKER_CALLS_MIN = 20;
/** Breaker: failure rate in the window at which the breaker opens. */
export const BREAKER_FAILURE_RATE_OPEN = 0.5;
/** Breaker: time an open breaker refuses calls before letting probes through. */
export const BREAKER_COOLDOWN_MS = 5_000;
/** Breaker: probe calls allowed at once while half-open. */
export const BREAKER_PROBES_MAX = 3;
/** Breaker: probe successes that close a half-open breaker (any probe failure re-opens it). */
export const BREAKER_PROBE_SUCCESSES_TO_CLOSE = 3;

assert.ok(CALLS_IN_FLIGHT_INITIAL >= 1 && CALLS_IN_FLIGHT_INITIAL <= CALLS_IN_FLIGHT_PER_CHANNEL_MAX, 'the adaptive limit starts inside its range');
assert.ok(CALLS_IN_FLIGHT_INITIAL < BREAKER_CALLS_MIN, 'a channel down on start meets fewer calls than the breaker needs to judge it');
assert.ok(QUERY_TIMEOUT_MS <= CREATE_TIMEOUT_MS, 'a query is never slower than the create it resolves');
assert.ok(BREAKER_WINDOW_MS % BREAKER_BUCKETS === 0, 'buckets divide the window evenly');
assert.ok(BREAKER_FAILURE_RATE_OPEN > 0 && BREAKER_FAILURE_RATE_OPEN <= 1, 'a failure rate is a fraction');
assert.ok(BREAKER_PROBE_SUCCESSES_TO_CLOSE >= 1 && BREAKER_PROBES_MAX >= BREAKER_PROBE_SUCCESSES_TO_CLOSE, 'half-open lets through enough probes to close');
assert.ok(BREAKER_COOLDOWN_MS < BREAKER_WINDOW_MS, 'a re-opened breaker is probed again before its window forgets');
