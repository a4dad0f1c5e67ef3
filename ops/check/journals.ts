/**
 * The sandbox acquirers' ground truth, read from their admin endpoints: which payments each
 * channel approved, declined or left pending, by our payment id (the merchant reference we send).
 */
export interface JournalPayment {
  channelId: string;
  paymentId: string;
  requestId: string;
  state: 'pending' | 'approved' | 'declined';
  amountMinor: bigint;
  currency: string;
}

interface RawEntry {
  kind: string;
  requestId?: string;
  merchantRef?: string;
  state?: string;
  amountMinor?: string | number;
  currency?: string;
}

export async function readJournals(adminUrls: Readonly<Record<string, string>>): Promise<JournalPayment[]> {
  const all: JournalPayment[] = [];
  for (const [channelId, url] of Object.entries(adminUrls)) {
    const response = await fetch(`${url}/admin/journal`);
    if (!response.ok) throw new Error(`${channelId} journal: HTTP ${response.status}`);
    const { entries } = (await response.json()) as { entries: RawEntry[] };
    for (const e of entries) {
      if (e.kind !== 'payment' || e.merchantRef === undefined || e.requestId === undefined) continue;
      if (e.state !== 'pending' && e.state !== 'approved' && e.state !== 'declined') throw new Error(`${channelId} journal: unknown state ${String(e.state)}`);
      all.push({ channelId, paymentId: e.merchantRef, requestId: e.requestId, state: e.state, amountMinor: BigInt(e.amountMinor ?? 0), currency: e.currency ?? '' });
    }
  }
  return all;
}

/** Payment ids some channel approved more than once (across attempts and channels). */
export function doubleCharges(journal: readonly JournalPayment[]): Map<string, JournalPayment[]> {
  const approved = new Map<string, JournalPayment[]>();
  for (const p of journal) {
    if (p.state !== 'approved') continue;
    approved.set(p.paymentId, [...(approved.get(p.paymentId) ?? []), p]);
  }
  return new Map([...approved].filter(([, list]) => list.length > 1));
}
