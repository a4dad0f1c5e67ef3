/** Settlement's limits, each with the reason for its value. */

/** Business days a merchant waits for its money: T+1, payments of day D are paid out on D+1. */
export const SETTLEMENT_DELAY_DAYS = 1;
/** When the daily settlement runs (croner, UTC): early, after the day's last events have posted. */
export const SETTLEMENT_SCHEDULE = '15 0 * * *';
/** How often due payouts are sent or asked about. */
export const PAYOUT_DISPATCH_INTERVAL_MS = 5_000;
/** Payouts sent per dispatch round: one bank call each, in turn. */
export const PAYOUT_BATCH_MAX = 50;
/** Sends of one payout that the bank answered "unavailable" before the payout fails (and is reversed). */
export const PAYOUT_ATTEMPTS_MAX = 8;
/** Backoff after a failed send: doubling from the first, capped. */
export const PAYOUT_RETRY_FIRST_MS = 30_000;
export const PAYOUT_RETRY_MAX_MS = 3_600_000;
/** A claimed payout is not claimed again by another dispatcher for this long (one bank call fits). */
export const PAYOUT_CLAIM_MS = 60_000;
/** Deadline of one bank call. */
export const BANK_TIMEOUT_MS = 10_000;
