/** Limits of merchant webhook delivery, each with its reason. */

/** A merchant endpoint answers within this or the attempt counts as failed (and is retried). */
export const WEBHOOK_TIMEOUT_MS = 5_000;
/** First retry delay; doubles per failed attempt (with jitter) up to the cap. */
export const WEBHOOK_RETRY_DELAY_MS_MIN = 5_000;
/** An hour between tries at most, so a merchant back after a long outage hears within the hour. */
export const WEBHOOK_RETRY_DELAY_MS_MAX = 60 * 60_000;
/** Default delivery window: a merchant down for a day loses nothing; after it the delivery is failed (and can be replayed). */
export const WEBHOOK_RETRY_WINDOW_MS_DEFAULT = 24 * 60 * 60_000;
/** Deliveries claimed per round: bounded so one instance does not hoard what others could send. */
export const WEBHOOK_CLAIM_BATCH_MAX = 50;
/** A claimed delivery is invisible to other instances this long: longer than one attempt's timeout. */
export const WEBHOOK_CLAIM_LEASE_MS = 60_000;
/** How often an idle dispatcher looks for due deliveries. */
export const WEBHOOK_POLL_INTERVAL_MS = 250;
/** Response text kept in the delivery log, for the operator's eyes. */
export const WEBHOOK_ERROR_TEXT_MAX = 500;
