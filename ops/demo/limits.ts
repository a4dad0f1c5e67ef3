/** Named limits of `paystream demo`. */

/** Requests in flight at once: enough to keep a rate of thousands per second on a local API. */
export const DEMO_IN_FLIGHT_MAX = 64;
/** Upper bound of --payments, to catch a typo (an extra zero) before it floods a shared API. */
export const DEMO_PAYMENTS_MAX = 10_000_000;
export const DEMO_RATE_MAX = 100_000;
/** How long after the last request the demo waits for final statuses by default. */
export const DEMO_SETTLE_WAIT_MS = 120_000;
/** Latency histogram range: 1 ms to 10 min, 3 significant digits. */
export const LATENCY_MS_MAX = 600_000;
/** Sends of one payment on 429/503/network errors before it counts as refused. */
export const DEMO_RETRIES_MAX = 30;
/** A Retry-After above this is capped: the demo keeps moving. */
export const DEMO_RETRY_AFTER_S_MAX = 10;
