/**
 * One input through the state machine, inside one PostgreSQL transaction: load → apply → write
 * the read model → remember the input with the records it produced. Returns the records for the
 * runtime to produce in its Kafka transaction.
 *
 * Exactly once across both stores: a record handled again because its Kafka transaction aborted
 * finds its input applied from the same source offset and gets the stored records back (same
 * event ids and sequences); the same fact arriving in another record is a duplicate and produces
 * nothing. A payment's state and its events are therefore written once, whatever crashes where.
 */
import type { PoolClient } from '../../lib/postgres.ts';
import type { PaymentAnomaly, PaymentEvent } from '../../schemas/types.ts';
import { applyInput, createPayment } from './apply.ts';
import { flowOrder } from './inputs.ts';
import type { AnomalyDraft, Applied, EventDraft, Outcome, PaymentState, ResultInput } from './state.ts';
import { loadForInput, park, recordAnomaly, recordApplied, recordEvents, recordFacts, saveRefunds, saveState, takeParked, updateAppliedOutcome, type StoredOutput } from './store.ts';

export interface ResultTopics {
  events: string;
  anomalies: string;
}

export interface Handled {
  outputs: StoredOutput[];
  /** First application only (not a replay of stored outputs): what happened, for metrics. */
  fresh: Array<{ kind: ResultInput['kind']; outcome: Outcome; reason: string | null; conflicts: number }>;
}

function eventOf(state: PaymentState, draft: EventDraft, sequence: number): PaymentEvent {
  return {
    eventId: `${state.paymentId}:${sequence}`,
    paymentId: state.paymentId,
    merchantId: state.merchantId,
    merchantReference: state.merchantReference,
    sequence,
    type: draft.type,
    status: draft.status,
    previousStatus: draft.previousStatus,
    amountMinor: state.amountMinor,
    currency: state.currency,
    method: state.method,
    capturedMinor: state.capturedMinor,
    refundedMinor: state.refundedMinor,
    channelId: state.channelId,
    channelReference: state.channelReference,
    attemptId: state.attemptId,
    ruleId: state.ruleId,
    experimentArm: state.experimentArm,
    refundId: draft.refundId,
    refundAmountMinor: draft.refundAmountMinor,
    completion: draft.completion,
    channelLatencyMs: draft.channelLatencyMs,
    reason: draft.reason,
    traceId: state.traceId,
    createdAtMs: state.createdAtMs,
    occurredAtMs: draft.occurredAtMs,
  };
}

interface Step {
  input: ResultInput;
  applied: Applied;
}

/** Applies `first` and, when it created the payment, the inputs that were parked waiting for it. */
async function steps(client: PoolClient, before: PaymentState | undefined, first: ResultInput): Promise<Step[]> {
  if (before !== undefined) return [{ input: first, applied: applyInput(before, first) }];
  if (first.kind !== 'create') return [];
  const created = createPayment(first);
  const out: Step[] = [{ input: first, applied: created }];
  const parked = (await takeParked(client, first.paymentId)).sort((a, b) => flowOrder(a) - flowOrder(b) || a.atMs - b.atMs);
  let state = created.state;
  for (const input of parked) {
    const applied = applyInput(state, input);
    out.push({ input, applied });
    state = applied.state;
  }
  return out;
}

export async function handleInput(client: PoolClient, input: ResultInput, source: string, topics: ResultTopics): Promise<Handled> {
  // One payment's inputs arrive on six topics and are handled concurrently: without this lock a
  // fact could be parked (its payment not created yet) while the create commits and finds nothing
  // parked, and wait forever. Held until this transaction ends.
  await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [input.paymentId]);
  const { applied: prior, state: before } = await loadForInput(client, input.inputId, input.paymentId);
  if (prior !== undefined) return { outputs: prior.source === source ? prior.outputs : [], fresh: prior.source === source ? [] : [{ kind: input.kind, outcome: 'duplicate', reason: 'input already applied', conflicts: 0 }] };

  await recordFacts(client, input);
  const done = await steps(client, before, input);
  if (done.length === 0) {
    // The payment's creation has not been applied yet: keep the input until it is.
    await park(client, input);
    await recordApplied(client, input, source, 'parked', 'payment not created yet', []);
    return { outputs: [], fresh: [{ kind: input.kind, outcome: 'parked', reason: 'payment not created yet', conflicts: 0 }] };
  }

  const outputs: StoredOutput[] = [];
  const history: Array<{ events: PaymentEvent[]; inputId: string }> = [];
  const anomalies: Array<{ anomalyId: string; draft: AnomalyDraft }> = [];
  let state = before;
  let sequence = before?.sequence ?? 0;
  for (const { input: step, applied } of done) {
    const events: PaymentEvent[] = [];
    for (const draft of applied.events) {
      sequence += 1;
      // Each event carries the payment as it was right after that event.
      events.push(eventOf({ ...applied.state, sequence }, draft, sequence));
    }
    for (const [i, anomaly] of applied.anomalies.entries()) {
      const anomalyId = `${step.paymentId}:${step.inputId}${i === 0 ? '' : `:${i}`}`;
      anomalies.push({ anomalyId, draft: anomaly });
      const value: PaymentAnomaly = { anomalyId, paymentId: step.paymentId, merchantId: applied.state.merchantId, kind: anomaly.kind, statusAtArrival: anomaly.statusAtArrival, channelId: anomaly.channelId, attemptId: anomaly.attemptId, channelReference: anomaly.channelReference, amountMinor: anomaly.amountMinor, currency: applied.state.currency, action: anomaly.action, refundId: anomaly.refundId, detail: anomaly.detail, detectedAtMs: anomaly.detectedAtMs };
      outputs.push({ topic: topics.anomalies, key: step.paymentId, value });
    }
    history.push({ events, inputId: step.inputId });
    outputs.push(...events.map((value) => ({ topic: topics.events, key: step.paymentId, value })));
    state = { ...applied.state, sequence };
    if (step !== input) await updateAppliedOutcome(client, step.inputId, applied.outcome, applied.reason);
  }
  if (state === undefined) throw new Error('a handled input left no state');
  // Saved even without events: routing facts arriving late still explain the payment.
  await saveState(client, state, before?.sequence ?? 0);
  await saveRefunds(client, state.paymentId, state.refunds, state.updatedAtMs);
  await recordEvents(client, history.flatMap((h) => h.events.map((event) => ({ event, inputId: h.inputId }))));
  for (const a of anomalies) await recordAnomaly(client, a.anomalyId, input.paymentId, a.draft);
  const main = done[0]?.applied ?? { outcome: 'applied' as const, reason: null, anomalies: [] };
  await recordApplied(client, input, source, main.outcome, main.reason, outputs);
  return { outputs, fresh: done.map(({ input: step, applied }) => ({ kind: step.kind, outcome: applied.outcome, reason: applied.reason, conflicts: applied.anomalies.length })) };
}
