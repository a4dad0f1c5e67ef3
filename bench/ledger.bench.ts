/**
 * Ledger postings per second into PostgreSQL through the ledger's own write path (journal rows
 * and legs in two statements per batch, the deferred balance check, the balance trigger, the
 * append-only triggers, the stored offset in the same transaction), next to a plain batched
 * INSERT of the same rows into tables with the same columns and keys but no trigger, foreign key
 * or secondary index, in the same run and the same batch sizes. The gap is what the ledger's
 * guarantees cost. PostgreSQL is the embedded one, started for the run.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../lib/logger.ts';
import { createPool, inTransaction, type Pool } from '../lib/postgres.ts';
import { startPostgres } from '../ops/embedded/postgres.ts';
import { migrateUp } from '../ops/migrations/migrate.ts';
import { SAMPLES } from '../schemas/samples.ts';
import type { PaymentEvent } from '../schemas/types.ts';
import { entriesFor, type JournalEntry } from '../streams/ledger/postings.ts';
import { postAll, storeOffset, storedOffset } from '../streams/ledger/store.ts';
import { recordFigure } from './lib/result.ts';

const RUNS = 3;
const EVENTS_PER_RUN = 20_000;
/** Events per transaction: about what one Kafka fetch hands the ledger processor per partition. */
const BATCH_EVENTS = 500;
const CHANNELS = ['acq_alpha', 'acq_beta', 'wallet_a', 'wallet_b'] as const;

function event(run: number, i: number): PaymentEvent {
  const paymentId = `pay_${run}_${i}`;
  const amount = BigInt(100 + ((i * 7919) % 500_000));
  return { ...SAMPLES.PaymentEvent, eventId: `${paymentId}:5`, paymentId, merchantId: `m_${i % 50}`, channelId: CHANNELS[i % CHANNELS.length] ?? 'acq_alpha', amountMinor: amount, capturedMinor: amount, currency: i % 10 === 0 ? 'JPY' : 'EUR', type: 'SUCCEEDED', status: 'SUCCEEDED' };
}

function batches(run: number): JournalEntry[][] {
  const out: JournalEntry[][] = [];
  for (let start = 0; start < EVENTS_PER_RUN; start += BATCH_EVENTS) {
    const entries: JournalEntry[] = [];
    for (let i = start; i < Math.min(EVENTS_PER_RUN, start + BATCH_EVENTS); i += 1) entries.push(...entriesFor(event(run, i), 'HALF_EVEN'));
    out.push(entries);
  }
  return out;
}

const legCount = (all: readonly JournalEntry[][]): number => all.reduce((n, b) => n + b.reduce((m, e) => m + e.legs.length, 0), 0);

async function viaLedger(pool: Pool, all: readonly JournalEntry[][], run: number): Promise<number> {
  const started = performance.now();
  let offset = 0n;
  for (const entries of all) {
    await inTransaction(pool, async (client) => {
      await storedOffset(client, 'bench-ledger', `bench.events.${run}`, 0);
      const posted = await postAll(client, entries);
      if (posted.length !== entries.length) throw new Error(`posted ${posted.length} of ${entries.length}`);
      offset += BigInt(BATCH_EVENTS);
      await storeOffset(client, 'bench-ledger', `bench.events.${run}`, 0, offset);
    });
  }
  return (performance.now() - started) / 1000;
}

async function viaPlainInsert(pool: Pool, all: readonly JournalEntry[][]): Promise<number> {
  const started = performance.now();
  for (const entries of all) {
    await inTransaction(pool, async (client) => {
      await client.query('INSERT INTO bench_journal SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])', [entries.map((e) => e.journalId), entries.map((e) => e.sourceId), entries.map((e) => e.paymentId), entries.map((e) => e.kind), entries.map((e) => e.description)]);
      const legs = entries.flatMap((e) => e.legs.map((l, i) => ({ journalId: e.journalId, leg: i + 1, ...l })));
      await client.query('INSERT INTO bench_postings SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[], $6::bigint[])', [legs.map((l) => l.journalId), legs.map((l) => l.leg), legs.map((l) => l.accountId), legs.map((l) => l.currency), legs.map((l) => l.direction), legs.map((l) => l.amountMinor.toString())]);
    });
  }
  return (performance.now() - started) / 1000;
}

async function main(): Promise<void> {
  const logger = createLogger({ level: 'silent' });
  const dir = mkdtempSync(join(tmpdir(), 'paystream-bench-ledger-'));
  chmodSync(dir, 0o711);
  const pg = await startPostgres({ dataDir: join(dir, 'postgres'), host: '127.0.0.1', logger });
  const runs: Array<{ value: number; baseline: number; ledgerSeconds: number; plainSeconds: number; postings: number }> = [];
  try {
    await migrateUp(pg.url, logger);
    const pool = createPool({ url: pg.url, logger, applicationName: 'paystream-bench', poolSize: 2 });
    try {
      await pool.query(`CREATE TABLE bench_journal (journal_id text PRIMARY KEY, source_id text NOT NULL, payment_id text, kind text NOT NULL, description text NOT NULL, posted_at timestamptz NOT NULL DEFAULT now());
        CREATE TABLE bench_postings (journal_id text NOT NULL, leg integer NOT NULL, account_id text NOT NULL, currency char(3) NOT NULL, direction char(1) NOT NULL, amount_minor bigint NOT NULL, PRIMARY KEY (journal_id, leg))`);
      for (let run = 0; run < RUNS; run += 1) {
        const all = batches(run);
        const postings = legCount(all);
        // Alternate which goes first, so neither always meets a colder cache.
        const [ledgerSeconds, plainSeconds] = run % 2 === 0 ? [await viaLedger(pool, all, run), await viaPlainInsert(pool, all)] : await (async () => {
          const plain = await viaPlainInsert(pool, all);
          return [await viaLedger(pool, all, run), plain];
        })();
        await pool.query('TRUNCATE bench_journal, bench_postings');
        runs.push({ value: Math.round(postings / ledgerSeconds), baseline: Math.round(postings / plainSeconds), ledgerSeconds, plainSeconds, postings });
      }
      const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ledger_postings`);
      if (Number(rows[0]?.n) !== runs.reduce((n, r) => n + r.postings, 0)) throw new Error(`ledger holds ${rows[0]?.n} postings`);
    } finally {
      await pool.end();
    }
  } finally {
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  recordFigure({
    name: 'ledger-postings',
    unit: 'postings/s',
    baselineName: 'plain batched INSERT of the same rows (no triggers, FKs or secondary indexes)',
    // The guarantees (balanced entries, balances, append-only, keys, offsets) may cost at most 4x.
    target: 0.25,
    workload: `${EVENTS_PER_RUN} succeeded payments per run (capture + channel fee entries, about 5 legs each payment) in transactions of ${BATCH_EVENTS} events, each storing its consumed offset, into the embedded PostgreSQL`,
    runs,
  });
}

await main();
