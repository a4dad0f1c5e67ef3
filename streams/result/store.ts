/**
 * The read model in PostgreSQL (migration 1734000000000_result-read-model.sql), written inside
 * the handler's database transaction. Writes check the version they read: a concurrent writer of
 * the same payment makes this one fail with a retriable error and the runtime handles the record
 * again on fresh state.
 */
import type { PoolClient } from '../../lib/postgres.ts';
import { PaystreamError } from '../../lib/errors.ts';
import { parseWithBigints, stringifyWithBigints } from '../../lib/json-bigint.ts';
import type { PaymentEvent } from '../../schemas/types.ts';
import type { AnomalyDraft, Outcome, PaymentState, RefundRecord, ResultInput } from './state.ts';

export class StoreConflict extends PaystreamError<'version_conflict'> {
  constructor(message: string) {
    super('version_conflict', message, { retriable: true });
    this.name = 'StoreConflict';
  }
}

/** A record to produce, as stored with the input that produced it. */
export interface StoredOutput {
  topic: string;
  key: string;
  value: unknown;
}

export interface AppliedRow {
  source: string;
  outcome: Outcome;
  outputs: StoredOutput[];
}

const date = (ms: number): Date => new Date(ms);

/**
 * What the handler reads under the payment's lock, in one round trip: whether the input was
 * applied already, and the payment's state.
 */
export async function loadForInput(client: PoolClient, inputId: string, paymentId: string): Promise<{ applied: AppliedRow | undefined; state: PaymentState | undefined }> {
  const { rows } = await client.query<{ source: string | null; outcome: Outcome | null; outputs: string | null; state: string | null }>(
    `SELECT a.source, a.outcome, a.outputs::text AS outputs, (SELECT p.state::text FROM payments p WHERE p.payment_id = $2) AS state
       FROM (SELECT 1) AS one LEFT JOIN result_applied_inputs a ON a.input_id = $1`,
    [inputId, paymentId],
  );
  const row = rows[0];
  const applied = row?.source === null || row?.source === undefined || row.outcome === null || row.outputs === null ? undefined : { source: row.source, outcome: row.outcome, outputs: parseWithBigints<StoredOutput[]>(row.outputs) };
  return { applied, state: row?.state === null || row?.state === undefined ? undefined : parseWithBigints<PaymentState>(row.state) };
}

export async function recordApplied(client: PoolClient, input: ResultInput, source: string, outcome: Outcome, reason: string | null, outputs: readonly StoredOutput[]): Promise<void> {
  await client.query('INSERT INTO result_applied_inputs (input_id, payment_id, source, outcome, reason, outputs) VALUES ($1, $2, $3, $4, $5, $6::jsonb)', [input.inputId, input.paymentId, source, outcome, reason, stringifyWithBigints(outputs)]);
}

/** Writes `state` if the stored version is still `readVersion` (0: the payment must not exist yet). */
export async function saveState(client: PoolClient, state: PaymentState, readVersion: number): Promise<void> {
  const columns = [state.paymentId, state.merchantId, state.merchantReference, state.amountMinor.toString(), state.currency, state.method, state.status, state.sequence, state.capturedMinor.toString(), state.refundedMinor.toString(), state.refundPendingMinor.toString(), state.channelId, state.channelReference, state.attemptId, state.ruleId, state.experimentArm, state.reason, state.traceId, date(state.createdAtMs), date(state.updatedAtMs), stringifyWithBigints(state)];
  if (readVersion === 0) {
    const { rowCount } = await client.query(
      `INSERT INTO payments (payment_id, merchant_id, merchant_reference, amount_minor, currency, method, status, version, captured_minor, refunded_minor, refund_pending_minor,
         channel_id, channel_reference, attempt_id, rule_id, experiment_arm, reason, trace_id, created_at, updated_at, state)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21::jsonb) ON CONFLICT DO NOTHING`,
      columns,
    );
    if (rowCount !== 1) throw new StoreConflict(`payment ${state.paymentId} was created concurrently`);
    return;
  }
  const { rowCount } = await client.query(
    `UPDATE payments SET status = $2, version = $3, captured_minor = $4, refunded_minor = $5, refund_pending_minor = $6, channel_id = $7, channel_reference = $8,
       attempt_id = $9, rule_id = $10, experiment_arm = $11, reason = $12, updated_at = $13, state = $14::jsonb
     WHERE payment_id = $1 AND version = $15`,
    [state.paymentId, state.status, state.sequence, state.capturedMinor.toString(), state.refundedMinor.toString(), state.refundPendingMinor.toString(), state.channelId, state.channelReference, state.attemptId, state.ruleId, state.experimentArm, state.reason, date(state.updatedAtMs), stringifyWithBigints(state), readVersion],
  );
  if (rowCount !== 1) throw new StoreConflict(`payment ${state.paymentId} changed after version ${readVersion} was read`);
}

/** The status history rows of `events`, each with the input that caused it, in one statement. */
export async function recordEvents(client: PoolClient, events: ReadonlyArray<{ event: PaymentEvent; inputId: string }>): Promise<void> {
  if (events.length === 0) return;
  await client.query(
    `INSERT INTO payment_status_history (payment_id, sequence, event_type, from_status, to_status, reason, input_id, occurred_at)
     SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[])`,
    [events.map((e) => e.event.paymentId), events.map((e) => e.event.sequence), events.map((e) => e.event.type), events.map((e) => e.event.previousStatus), events.map((e) => e.event.status), events.map((e) => e.event.reason), events.map((e) => e.inputId), events.map((e) => date(e.event.occurredAtMs))],
  );
}

/** The channel-side facts of an input (attempt rows, callbacks, sweeper findings), kept even when stale. */
export async function recordFacts(client: PoolClient, input: ResultInput): Promise<void> {
  if (input.kind === 'attempt') {
    await client.query(
      'INSERT INTO payment_attempts (attempt_id, status, payment_id, attempt_number, channel_id, channel_reference, decline_code, error_code, latency_ms, occurred_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING',
      [input.attemptId, input.status, input.paymentId, input.attemptNumber, input.channelId, input.channelReference, input.declineCode, input.errorCode, input.latencyMs, date(input.atMs)],
    );
  } else if (input.kind === 'channel_result' || input.kind === 'refund_result' || input.kind === 'expire' || input.kind === 'still_pending' || input.kind === 'chargeback') {
    await client.query('INSERT INTO payment_channel_facts (input_id, payment_id, kind, detail, occurred_at) VALUES ($1, $2, $3, $4::jsonb, $5) ON CONFLICT DO NOTHING', [input.inputId, input.paymentId, input.kind, stringifyWithBigints(input), date(input.atMs)]);
  }
}

export async function saveRefunds(client: PoolClient, paymentId: string, refunds: Readonly<Record<string, RefundRecord>>, atMs: number): Promise<void> {
  for (const [refundId, r] of Object.entries(refunds)) {
    await client.query(
      `INSERT INTO payment_refunds (refund_id, payment_id, amount_minor, status, conflict, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (refund_id) DO UPDATE SET status = EXCLUDED.status, updated_at = EXCLUDED.updated_at WHERE payment_refunds.status <> EXCLUDED.status`,
      [refundId, paymentId, r.amountMinor.toString(), r.status, r.conflict, date(atMs)],
    );
  }
}

export async function recordAnomaly(client: PoolClient, anomalyId: string, paymentId: string, anomaly: AnomalyDraft): Promise<void> {
  await client.query('INSERT INTO payment_anomalies (anomaly_id, payment_id, kind, action, detail, detected_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING', [anomalyId, paymentId, anomaly.kind, anomaly.action, anomaly.detail, date(anomaly.detectedAtMs)]);
}

export async function park(client: PoolClient, input: ResultInput): Promise<void> {
  await client.query('INSERT INTO result_parked_inputs (input_id, payment_id, input) VALUES ($1, $2, $3::jsonb) ON CONFLICT DO NOTHING', [input.inputId, input.paymentId, stringifyWithBigints(input)]);
}

/** Removes and returns the inputs parked for `paymentId`. */
export async function takeParked(client: PoolClient, paymentId: string): Promise<ResultInput[]> {
  const { rows } = await client.query<{ input: string }>('DELETE FROM result_parked_inputs WHERE payment_id = $1 RETURNING input::text AS input', [paymentId]);
  return rows.map((r) => parseWithBigints<ResultInput>(r.input));
}

export async function updateAppliedOutcome(client: PoolClient, inputId: string, outcome: Outcome, reason: string | null): Promise<void> {
  await client.query('UPDATE result_applied_inputs SET outcome = $2, reason = $3 WHERE input_id = $1', [inputId, outcome, reason]);
}
