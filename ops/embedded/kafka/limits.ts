/**
 * Named limits of the broker's network edge and request handlers, each with the reason for its
 * value. Relations between them are asserted at load so a bad edit fails at start, not at 3 a.m.
 */
import assert from 'node:assert/strict';
import { MAX_BATCH_BYTES, MAX_PARTITIONS_PER_TOPIC } from './log/limits.ts';

/**
 * Largest request frame accepted (the i32 size prefix). Kafka's socket.request.max.bytes is
 * 100 MiB; a development broker holding whole frames in memory keeps a tighter bound: one
 * largest batch the log accepts plus 1 MiB for headers and further partitions' batches.
 */
export const REQUEST_BYTES_MAX = MAX_BATCH_BYTES + 1024 * 1024;

/** Smallest well-formed request: api_key i16, api_version i16, correlation_id i32, client_id length i16. */
export const REQUEST_HEADER_BYTES_MIN = 10;

/**
 * Bytes a connection may buffer beyond the request being handled before the socket is paused.
 * Requests are handled one at a time per socket, so a pipelining client must not grow memory
 * without bound; pausing pushes back through TCP instead.
 */
export const CONNECTION_BUFFERED_BYTES_MAX = 2 * REQUEST_BYTES_MAX;

/**
 * Open client connections. A test run or a local pipeline opens a few dozen (kafkajs opens one
 * per broker per role); the cap protects file descriptors from a client that leaks sockets.
 */
export const CONNECTIONS_MAX = 1024;

/** How long close() waits for in-flight requests to be answered before destroying sockets. */
export const CLOSE_GRACE_MS = 2_000;

/**
 * Longest Fetch long poll honoured. Clients ask for 500 ms (librdkafka) to 5 s (kafkajs); a
 * bigger request value is clamped so a parked socket always answers within a bounded time.
 */
export const FETCH_MAX_WAIT_MS_MAX = 30_000;

/** Bytes one Fetch response may carry regardless of what the client asks (Kafka fetch.max.bytes default 50 MiB). */
export const FETCH_RESPONSE_BYTES_MAX = 50 * 1024 * 1024;

/** Partitions per topic accepted on the command line (the log enforces the same bound on create). */
export const TOPIC_PARTITIONS_MAX = MAX_PARTITIONS_PER_TOPIC;

/** Default partitions of an auto-created or CreateTopics(-1) topic (Kafka num.partitions). */
export const TOPIC_PARTITIONS_DEFAULT = 1;

/** Transaction timeout scan period (spec §7: about once a second). */
export const TRANSACTION_CHECK_INTERVAL_MS_DEFAULT = 1_000;

/** Group session/rebalance timer period; sessions are ≥ seconds long, so 100 ms is precise enough. */
export const GROUP_TICK_INTERVAL_MS = 100;

/** How often retention and compaction run over every partition. */
export const LOG_CLEANUP_INTERVAL_MS = 60_000;

/** Group initial rebalance delay; Kafka uses 3000 ms, a development broker answers faster (spec §6). */
export const GROUP_INITIAL_REBALANCE_DELAY_MS_DEFAULT = 300;

/** fsync period of partition logs; bytes reach the OS before every ack regardless. */
export const FSYNC_INTERVAL_MS_DEFAULT = 1_000;

assert.ok(REQUEST_HEADER_BYTES_MIN < REQUEST_BYTES_MAX);
assert.ok(CONNECTION_BUFFERED_BYTES_MAX >= REQUEST_BYTES_MAX, 'a whole maximal frame must be bufferable');
assert.ok(FETCH_RESPONSE_BYTES_MAX >= REQUEST_BYTES_MAX, 'a fetch must be able to return any batch a produce accepted');
assert.ok(TOPIC_PARTITIONS_DEFAULT >= 1 && TOPIC_PARTITIONS_DEFAULT <= TOPIC_PARTITIONS_MAX);
assert.ok(REQUEST_BYTES_MAX > MAX_BATCH_BYTES, 'a produce request must be able to carry the largest batch the log accepts');
