/** Writing journal entries and reading the ledger (migration 1736000000000_ledger.sql). */
import type { PoolClient } from '../../lib/postgres.ts';
import type { JournalEntry } from './postings.ts';

/**
 * Posts every entry whose source was not posted yet, in two statements whatever the count (the
 * journal rows, then all their legs); returns the entries posted now. A source repeated within
 * `entries` is posted once.
 */
export async function postAll(client: PoolClient, entries: readonly JournalEntry[]): Promise<JournalEntry[]> {
  if (entries.length === 0) return [];
  const { rows } = await client.query<{ journal_id: string }>(
    `INSERT INTO ledger_journal (journal_id, source_id, payment_id, kind, description)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
     ON CONFLICT DO NOTHING RETURNING journal_id`,
    [entries.map((e) => e.journalId), entries.map((e) => e.sourceId), entries.map((e) => e.paymentId), entries.map((e) => e.kind), entries.map((e) => e.description)],
  );
  const inserted = new Set(rows.map((r) => r.journal_id));
  const posted: JournalEntry[] = [];
  for (const e of entries) {
    if (!inserted.delete(e.journalId)) continue;
    posted.push(e);
  }
  const legs = posted.flatMap((e) => e.legs.map((l, i) => ({ journalId: e.journalId, leg: i + 1, ...l })));
  if (legs.length > 0) {
    await client.query(
      `INSERT INTO ledger_postings (journal_id, leg, account_id, currency, direction, amount_minor)
       SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[], $6::bigint[])`,
      [legs.map((l) => l.journalId), legs.map((l) => l.leg), legs.map((l) => l.accountId), legs.map((l) => l.currency), legs.map((l) => l.direction), legs.map((l) => l.amountMinor.toString())],
    );
  }
  return posted;
}

/** Posts `entry` unless its source was posted already; true when it was posted now. */
export async function post(client: PoolClient, entry: JournalEntry): Promise<boolean> {
  return (await postAll(client, [entry])).length === 1;
}

export async function storedOffset(client: PoolClient, groupId: string, topic: string, partition: number): Promise<bigint | undefined> {
  const { rows } = await client.query<{ next_offset: string }>('SELECT next_offset FROM ledger_offsets WHERE group_id = $1 AND topic = $2 AND partition = $3 FOR UPDATE', [groupId, topic, partition]);
  return rows[0] === undefined ? undefined : BigInt(rows[0].next_offset);
}

export async function storeOffset(client: PoolClient, groupId: string, topic: string, partition: number, next: bigint): Promise<void> {
  await client.query(
    'INSERT INTO ledger_offsets (group_id, topic, partition, next_offset) VALUES ($1, $2, $3, $4) ON CONFLICT (group_id, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset',
    [groupId, topic, partition, next.toString()],
  );
}
