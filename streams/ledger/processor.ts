/**
 * The ledger processor: consumes `payments.events` (read_committed) and posts each event's journal
 * entries to PostgreSQL. Exactly once into PostgreSQL without Kafka transactions: the next offset
 * of each partition is stored in the same database transaction as the entries of the batch, and a
 * batch skips whatever is below the stored offset. Offsets are committed to Kafka only after the
 * database commit, so Kafka's copy is never ahead; after any crash the ledger neither loses nor
 * repeats a posting. (Entries are also unique by source, a second guard.)
 */
import { Counter, type Registry } from 'prom-client';
import type { Consumer, Kafka } from '../../lib/kafka.ts';
import type { Logger } from '../../lib/logger.ts';
import { PaystreamError } from '../../lib/errors.ts';
import { inTransaction, isTransientPostgresError, type Pool } from '../../lib/postgres.ts';
import type { AvroCodec } from '../../schemas/codec.ts';
import type { RoundingMode } from '../../connectors/channels/fees.ts';
import { entriesFor, type JournalEntry } from './postings.ts';
import { postAll, storeOffset, storedOffset } from './store.ts';

export interface LedgerProcessorOptions {
  kafka: Kafka;
  codec: AvroCodec;
  pool: Pool;
  logger: Logger;
  registry: Registry;
  rounding: RoundingMode;
  groupId?: string;
  topic?: string;
  sessionTimeoutMs?: number;
}

export interface LedgerProcessor {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createLedgerProcessor(options: LedgerProcessorOptions): LedgerProcessor {
  const groupId = options.groupId ?? 'ledger';
  const topic = options.topic ?? 'payments.events';
  const posted = new Counter({ name: 'paystream_ledger_entries_posted_total', help: 'Journal entries posted, by kind', labelNames: ['kind'] as const, registers: [options.registry] });
  const skipped = new Counter({ name: 'paystream_ledger_events_skipped_total', help: 'Events consumed again after a restart and skipped (already posted)', registers: [options.registry] });
  let consumer: Consumer | undefined;
  return {
    async start() {
      consumer = options.kafka.consumer({ groupId, readUncommitted: false, sessionTimeout: options.sessionTimeoutMs ?? 30_000, maxWaitTimeInMs: 200, allowAutoTopicCreation: false });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary, heartbeat }) => {
          if (batch.messages.length === 0) return;
          const decoded = await Promise.all(batch.messages.map(async (m) => ({ offset: BigInt(m.offset), event: m.value === null ? undefined : await options.codec.decode('PaymentEvent', m.value) })));
          const last = decoded.at(-1)?.offset ?? 0n;
          const kinds: string[] = [];
          await inTransaction(options.pool, async (client) => {
            const from = (await storedOffset(client, groupId, batch.topic, batch.partition)) ?? 0n;
            const entries: JournalEntry[] = [];
            for (const { offset, event } of decoded) {
              if (offset < from) {
                skipped.inc();
                continue;
              }
              if (event === undefined) continue;
              entries.push(...entriesFor(event, options.rounding));
            }
            for (const entry of await postAll(client, entries)) kinds.push(entry.kind);
            if (last + 1n > from) await storeOffset(client, groupId, batch.topic, batch.partition, last + 1n);
          }).catch((err: unknown) => {
            throw new PaystreamError(isTransientPostgresError(err) ? 'postgres_unavailable' : 'ledger_post_failed', `posting a batch of ${batch.topic}/${batch.partition} failed: ${err instanceof Error ? err.message : String(err)}`, { retriable: isTransientPostgresError(err), cause: err });
          });
          for (const kind of kinds) posted.inc({ kind });
          resolveOffset(last.toString());
          await commitOffsetsIfNecessary();
          await heartbeat();
        },
      });
    },
    async stop() {
      await consumer?.disconnect();
      consumer = undefined;
    },
  };
}
