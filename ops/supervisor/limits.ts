/** Named limits of the role supervisor (`paystream up`). */

/** A role prints its "is running" line within this; tsx compiles on the first start, so allow for a cold cache on a busy machine. */
export const ROLE_START_TIMEOUT_MS = 120_000;
/** First restart delay after a role exits unexpectedly; doubles per quick crash up to the cap. */
export const ROLE_RESTART_DELAY_MS_MIN = 500;
export const ROLE_RESTART_DELAY_MS_MAX = 30_000;
/** A role that ran this long before exiting starts again from the shortest delay. */
export const ROLE_STABLE_AFTER_MS = 60_000;
/** How often a supervised role checks that its supervisor still lives (and stops itself if not). */
export const SUPERVISOR_WATCH_INTERVAL_MS = 1_000;
