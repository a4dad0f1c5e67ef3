/** Bounds of the channel adapters' HTTP layer, each with its reason. */
import assert from 'node:assert/strict';

/** Open sockets per channel origin; above any executor concurrency limit, so the pool never queues calls. */
export const CHANNEL_SOCKETS_MAX = 2_048;
/** Idle keep-alive sockets kept per origin between bursts. */
export const CHANNEL_IDLE_SOCKETS_MAX = 256;
/** Largest answer read from a channel; real answers are a few KiB. */
export const CHANNEL_ANSWER_BYTES_MAX = 1024 * 1024;

assert.ok(CHANNEL_IDLE_SOCKETS_MAX <= CHANNEL_SOCKETS_MAX, 'idle sockets are a subset of open sockets');
