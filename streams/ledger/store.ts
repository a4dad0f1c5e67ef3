/** Writing journal entries and reading the ledger (migration 1736000000000_ledger.sql). */
import type { PoolClient } from '../../lib/postgres.ts';
import type { JournalEntry } from './postings.ts';

/** Posts `entry` unless its source was posted already; true when it was posted now. */
export async function post(client: PoolClient, entry: JournalEntry): Promise<boolean> {
  const { rowCount } = await client.query('INSERT INTO ledger_journal (journal_id, source_id, payment_id, kind, description) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (source_id) DO NOTHING', [entry.journalId, entry.sourceId, entry.paymentId, entry.kind, entry.description]);
  if (rowCount !== 1) return false;
  await client.query(
    `INSERT INTO ledger_postings (journal_id, leg, account_id, currency, direction, amount_minor)
     SELECT $1, leg, account_id, currency, direction, amount_minor FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::bigint[]) AS t(leg, account_id, currency, direction, amount_minor)`,
    [entry.journalId, entry.legs.map((_, i) => i + 1), entry.legs.map((l) => l.accountId), entry.legs.map((l) => l.currency), entry.legs.map((l) => l.direction), entry.legs.map((l) => l.amountMinor.toString())],
  );
  return true;
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
