/**
 * The runtime's limits, each with the reason for its value. Relations between them are asserted
 * at load, so a change that breaks one fails at start rather than in production.
 */
import assert from 'node:assert/strict';

/**
 * Handler attempts per record before it is dead-lettered (the first try included). Five attempts
 * ride out a dependency's brief blip (a restart, a leader move) without holding a partition
 * back for long; anything longer belongs on a retry topic, not in place.
 */
export const HANDLE_ATTEMPTS_MAX = 5;
/** First in-place retry delay: long enough for a dropped connection to be re-established. */
export const RETRY_DELAY_MS_INITIAL = 100;
/** Ceiling of one in-place retry delay: keeps a partition moving even under a persistent fault. */
export const RETRY_DELAY_MS_MAX = 2_000;
/** Growth of the delay per attempt (exponential backoff). */
export const RETRY_DELAY_FACTOR = 2;

/**
 * Records handled and committed in one transaction. Each transaction costs a handful of round
 * trips (AddPartitionsToTxn, Produce, AddOffsetsToTxn, TxnOffsetCommit, EndTxn), so larger
 * transactions amortise them; smaller ones bound the work redone after a crash and the time a
 * read_committed consumer waits behind an open transaction.
 */
export const TRANSACTION_RECORDS_MAX = 1_000;
/**
 * Handling time after which a chunk is committed even when it holds fewer records: with a slow
 * handler (a channel call per record) outputs still appear within about this long, and a crash
 * redoes at most this much work. Fast handlers fill TRANSACTION_RECORDS_MAX well before it.
 */
export const TRANSACTION_HANDLE_MS_MAX = 1_000;
/**
 * Broker-side timeout of an open transaction: a producer that dies mid-transaction holds the
 * output's last stable offset back at most this long (a restarted instance fences it sooner).
 */
export const TRANSACTION_TIMEOUT_MS = 30_000;

/** Outputs one handler call may return: a handler returning more is a bug, not a workload. */
export const OUTPUTS_PER_RECORD_MAX = 100;
/**
 * Partitions handled at the same time by one instance. Each has its own transactional producer
 * (see producers.ts), so they commit independently; more than this adds connections without
 * adding throughput on a small machine.
 */
export const PARTITIONS_CONCURRENT_MAX = 4;

/**
 * Keys of one partition's chunk handled at the same time by default: one keeps the plain
 * record-by-record order, which fast handlers need no more than.
 */
export const KEY_CONCURRENCY_DEFAULT = 1;
/**
 * Ceiling of keyConcurrency: a processor waiting on slow calls (a channel) overlaps them per key,
 * and more than this many calls in flight per partition only queues them at the other end.
 */
export const KEY_CONCURRENCY_MAX = 256;

/** How long stop() lets an in-flight transaction finish before abandoning it (the broker aborts it). */
export const STOP_GRACE_MS = 15_000;

/** Error messages copied into dead-letter headers are cut to this many characters. */
export const DLQ_ERROR_MESSAGE_CHARS_MAX = 1_000;
/** Header values over this many bytes are not copied into the handler's string view. */
export const HEADER_VALUE_BYTES_MAX = 8 * 1024;

/** Worst-case time one record can spend in in-place retries. */
export function retryBudgetMs(): number {
  let total = 0;
  let delay = RETRY_DELAY_MS_INITIAL;
  for (let attempt = 1; attempt < HANDLE_ATTEMPTS_MAX; attempt += 1) {
    total += Math.min(delay, RETRY_DELAY_MS_MAX);
    delay *= RETRY_DELAY_FACTOR;
  }
  return total;
}

assert.ok(HANDLE_ATTEMPTS_MAX >= 1, 'a record gets at least one attempt');
assert.ok(RETRY_DELAY_MS_INITIAL <= RETRY_DELAY_MS_MAX, 'the first delay is within the ceiling');
assert.ok(RETRY_DELAY_FACTOR > 1, 'backoff grows');
// Retries happen before the transaction opens, but a slow record delays the whole chunk: keep a
// chunk's worst case well inside the group's patience (we heartbeat between attempts anyway).
assert.ok(retryBudgetMs() < TRANSACTION_TIMEOUT_MS / 2, 'in-place retries of one record fit well inside a transaction timeout');
assert.ok(TRANSACTION_HANDLE_MS_MAX < STOP_GRACE_MS, 'a stop waits for at least one chunk of handling');
assert.ok(STOP_GRACE_MS < TRANSACTION_TIMEOUT_MS, 'stop gives up before the broker would time the transaction out');
assert.ok(TRANSACTION_RECORDS_MAX >= 1 && PARTITIONS_CONCURRENT_MAX >= 1, 'positive sizes');
