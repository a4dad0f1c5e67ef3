/**
 * The router's limits and tuning constants, each with its reason. Relations between them are
 * asserted at load so a change that breaks one fails at start.
 */
import assert from 'node:assert/strict';

/** Rules held at once. Operators keep tens of rules; a thousand bounds memory and the linear match. */
export const RULES_MAX = 1_000;
/** Arms of one rule: an A/B experiment compares two strategies; a third would make the split hard to read. */
export const ARMS_PER_RULE_MAX = 2;
/** Ids in a rule's allow/deny/fallback lists; there are four channels, 16 leaves room for new ones. */
export const CHANNEL_LIST_MAX = 16;
/** Length of rule, arm, merchant and channel ids (they travel in record keys and metric labels). */
export const ID_LENGTH_MAX = 100;
/**
 * Buckets of the experiment hash: 10,000 gives 0.01 % granularity, so a 50/50 split over 100,000
 * ids lands well within 1 % of its target.
 */
export const EXPERIMENT_BUCKETS = 10_000;
/** Half-life of the decayed success rate and latency: a bad minute matters for about five. */
export const STATS_HALF_LIFE_MS = 5 * 60_000;
/** Success rate assumed for a channel without metrics yet, as if it had this many attempts at it. */
export const SUCCESS_PRIOR_RATE = 0.9;
export const SUCCESS_PRIOR_ATTEMPTS = 20;
/** p95 latency scoring 0: past 10 s a channel is as slow as it can count as. */
export const LATENCY_SCORE_CEILING_MS = 10_000;
/** A half-open breaker lets probes through only: its success factor is multiplied by this. */
export const HALF_OPEN_SUCCESS_FACTOR = 0.5;
/** A breaker report older than this is ignored (the instance that wrote it may be gone). */
export const HEALTH_STALE_MS = 60_000;
/** Time the router waits to read the compacted config topics to their end before it routes. */
export const CONFIG_CATCH_UP_TIMEOUT_MS = 30_000;
/** Body of an admin API request: one rule is a few hundred bytes. */
export const ADMIN_BODY_BYTES_MAX = 64 * 1024;

assert.ok(ARMS_PER_RULE_MAX >= 2, 'an experiment needs two arms');
assert.ok(EXPERIMENT_BUCKETS % 100 === 0, 'arm weights are percentages of the buckets');
assert.ok(SUCCESS_PRIOR_RATE > 0 && SUCCESS_PRIOR_RATE <= 1);
