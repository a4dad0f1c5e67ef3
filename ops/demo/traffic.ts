/**
 * What `paystream demo` sends: signed POST /v1/payments at a steady rate, with a realistic mix of
 * methods, currencies, amounts and customers (seeded, so a run can be repeated), and a follower of
 * `payments.events` that records when each payment reached a final status.
 */
import { randomUUID } from 'node:crypto';
import * as hdr from 'hdr-histogram-js';
import type { Kafka } from '../../lib/kafka.ts';
import type { AvroCodec } from '../../schemas/codec.ts';
import type { PaymentEvent, PaymentStatus } from '../../schemas/types.ts';
import { signatureHeaders } from '../../api/signature.ts';
import { DEMO_IN_FLIGHT_MAX, DEMO_RETRIES_MAX, DEMO_RETRY_AFTER_S_MAX, LATENCY_MS_MAX } from './limits.ts';

/** Statuses after which a payment changes no more, apart from refunds. */
export const FINAL_STATUSES: ReadonlySet<PaymentStatus> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED', 'EXPIRED', 'RISK_REJECTED']);
/**
 * Where the demo stops following a payment: a final status, or a manual risk review, which waits
 * for an operator (`paystream risk review`) rather than for the pipeline.
 */
export const SETTLED_FOR_DEMO: ReadonlySet<PaymentStatus> = new Set([...FINAL_STATUSES, 'IN_REVIEW']);

export interface Merchant {
  keyId: string;
  secret: string;
}

/** A deterministic generator (mulberry32): the same seed sends the same payments. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MIX: ReadonlyArray<{ weight: number; method: string; currency: string; minMinor: number; maxMinor: number }> = [
  { weight: 55, method: 'card', currency: 'EUR', minMinor: 100, maxMinor: 50_000 },
  { weight: 15, method: 'card', currency: 'USD', minMinor: 100, maxMinor: 50_000 },
  { weight: 15, method: 'wallet_a', currency: 'EUR', minMinor: 100, maxMinor: 20_000 },
  { weight: 10, method: 'wallet_b', currency: 'EUR', minMinor: 100, maxMinor: 20_000 },
  { weight: 5, method: 'card', currency: 'JPY', minMinor: 100, maxMinor: 100_000 },
];
const MIX_TOTAL = MIX.reduce((sum, m) => sum + m.weight, 0);

export function paymentBody(random: () => number, runId: string, n: number): Record<string, unknown> {
  let pick = random() * MIX_TOTAL;
  const mix = MIX.find((m) => (pick -= m.weight) < 0) ?? MIX[0];
  if (mix === undefined) throw new Error('empty traffic mix');
  const customer = Math.floor(random() * 5_000);
  return {
    merchantOrderId: `demo-${runId}-${n}`,
    amountMinor: mix.minMinor + Math.floor(random() * (mix.maxMinor - mix.minMinor)),
    currency: mix.currency,
    method: mix.method,
    // One address per customer (the shared-carrier range), so IP velocity sees customers, not collisions.
    customer: { id: `cust-${customer}`, ip: `100.64.${(customer >> 8) & 255}.${customer & 255}`, deviceId: `dev-${customer}` },
    description: 'paystream demo',
  };
}

export interface SentPayment {
  paymentId: string;
  sentAtMs: number;
}

export interface SendResult {
  accepted: SentPayment[];
  /** HTTP status (or `network`) → count, for requests not answered 202. */
  refused: Map<string, number>;
  elapsedMs: number;
}

/** Sends `count` payments at `ratePerS`, never more than DEMO_IN_FLIGHT_MAX at once. */
export async function sendPayments(options: { apiUrl: string; merchants: readonly Merchant[]; count: number; ratePerS: number; seed: number; onAnswer?: (accepted: boolean) => void }): Promise<SendResult> {
  const random = seededRandom(options.seed);
  const runId = randomUUID().slice(0, 8);
  const accepted: SentPayment[] = [];
  const refused = new Map<string, number>();
  const started = Date.now();
  let next = 0;
  const worker = async () => {
    for (;;) {
      const n = next;
      if (n >= options.count) return;
      next += 1;
      const dueAtMs = started + (n * 1000) / options.ratePerS;
      const waitMs = dueAtMs - Date.now();
      if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
      const body = JSON.stringify(paymentBody(random, runId, n));
      const merchant = options.merchants[n % options.merchants.length];
      if (merchant === undefined) throw new Error('sendPayments needs at least one merchant');
      const sentAtMs = Date.now();
      // A well-behaved client: on 429 and 503 it waits as told and sends the same request again
      // (same Idempotency-Key, so a retry can never create a second payment).
      let answer: { status: number | 'network'; json: { paymentId?: string } } = { status: 'network', json: {} };
      for (let attempt = 1; attempt <= DEMO_RETRIES_MAX; attempt += 1) {
        const headers = signatureHeaders(merchant.keyId, merchant.secret, { timestamp: String(Math.floor(Date.now() / 1000)), nonce: randomUUID(), method: 'POST', pathWithQuery: '/v1/payments', body });
        let retryAfterS = 1;
        answer = await fetch(`${options.apiUrl}/v1/payments`, { method: 'POST', body, headers: { ...headers, 'content-type': 'application/json', 'idempotency-key': `demo-${runId}-${n}` } }).then(
          async (r) => {
            retryAfterS = Math.min(DEMO_RETRY_AFTER_S_MAX, Math.max(1, Number(r.headers.get('retry-after') ?? '1') || 1));
            return { status: r.status, json: (await r.json().catch(() => ({}))) as { paymentId?: string } };
          },
          () => ({ status: 'network' as const, json: {} as { paymentId?: string } }),
        );
        if (answer.status !== 429 && answer.status !== 503 && answer.status !== 'network') break;
        await new Promise((resolve) => setTimeout(resolve, retryAfterS * 1000));
      }
      if (answer.status === 202 && typeof answer.json.paymentId === 'string') {
        accepted.push({ paymentId: answer.json.paymentId, sentAtMs });
        options.onAnswer?.(true);
      } else {
        refused.set(String(answer.status), (refused.get(String(answer.status)) ?? 0) + 1);
        options.onAnswer?.(false);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(DEMO_IN_FLIGHT_MAX, options.count) }, worker));
  return { accepted, refused, elapsedMs: Date.now() - started };
}

export interface FinalSeen {
  status: PaymentStatus;
  reason: string | null;
  atMs: number;
}

/** Follows payments.events from now on and keeps the first final status of every payment. */
export async function followFinalStatuses(kafka: Kafka, codec: AvroCodec, onFinal?: (paymentId: string, seen: FinalSeen) => void): Promise<{ finals: Map<string, FinalSeen>; stop(): Promise<void> }> {
  const finals = new Map<string, FinalSeen>();
  const consumer = kafka.consumer({ groupId: `paystream-demo-${randomUUID()}`, readUncommitted: false, sessionTimeout: 30_000, heartbeatInterval: 3_000, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: 'payments.events', fromBeginning: false });
  let assigned: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (assigned = resolve));
  consumer.on(consumer.events.GROUP_JOIN, () => assigned());
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (message.value === null) return;
      const event: PaymentEvent = await codec.decode('PaymentEvent', message.value);
      if (!SETTLED_FOR_DEMO.has(event.status) || finals.has(event.paymentId)) return;
      const seen = { status: event.status, reason: event.reason, atMs: Date.now() };
      finals.set(event.paymentId, seen);
      onFinal?.(event.paymentId, seen);
    },
  });
  await ready;
  return { finals, stop: () => consumer.disconnect() };
}

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

export function latencySummary(samplesMs: readonly number[]): LatencySummary {
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: LATENCY_MS_MAX, numberOfSignificantValueDigits: 3 });
  for (const ms of samplesMs) histogram.recordValue(Math.min(LATENCY_MS_MAX, Math.max(1, Math.round(ms))));
  const summary = { count: samplesMs.length, p50Ms: histogram.getValueAtPercentile(50), p95Ms: histogram.getValueAtPercentile(95), p99Ms: histogram.getValueAtPercentile(99), maxMs: histogram.maxValue };
  histogram.destroy();
  return summary;
}
