/** Limits of the stuck-payment sweeper, each with its reason. */
import type { ChannelId } from '../../connectors/channels/types.ts';

/**
 * How long a payment may sit SUBMITTED or PROCESSING at each channel before the sweeper asks the
 * channel: card acquirers answer synchronously (a submitted card payment minutes old lost its
 * answer); wallets complete when the payer acts, and their callbacks retry for a while.
 */
export const CHANNEL_DEADLINE_MS: Readonly<Record<ChannelId, number>> = {
  acq_alpha: 2 * 60_000,
  acq_beta: 2 * 60_000,
  wallet_a: 10 * 60_000,
  wallet_b: 10 * 60_000,
};
/** A channel we have no deadline for (a new adapter): the longest of the above. */
export const CHANNEL_DEADLINE_MS_DEFAULT = 10 * 60_000;
/** Default time after which an unpaid payment expires (PAYMENT_EXPIRY_S overrides). */
export const PAYMENT_EXPIRY_MS_DEFAULT = 30 * 60_000;
/** Payments looked at per sweep: a backlog is worked off over several sweeps, never in one burst. */
export const SWEEP_PAYMENTS_MAX = 500;
/** Status queries in flight at once, so a sweep does not eat a channel's whole rate limit. */
export const SWEEP_QUERIES_CONCURRENT = 8;
/** Default schedule (croner, with seconds): every 30 s. */
export const SWEEP_SCHEDULE_DEFAULT = '*/30 * * * * *';
/** The advisory lock every sweeper instance takes, so one sweep runs at a time across instances. */
export const SWEEP_LOCK_KEY = 7_353_100_001;
