/** The result processor's limits, each with the reason for its value. */

/**
 * Payments of one input partition handled at once (the runtime's keyConcurrency). Each input is
 * a handful of PostgreSQL round trips under the payment's advisory lock, so handling payments one
 * after another leaves the database idle between them; a few at a time fill the connection pool
 * (POSTGRES_POOL_SIZE_DEFAULT) across the partitions handled at once without queueing many more.
 */
export const PAYMENTS_IN_FLIGHT_PER_PARTITION = 8;
