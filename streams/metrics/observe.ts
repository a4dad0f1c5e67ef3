/**
 * What one payment event tells the metrics: an outcome (success or failure) at an event time,
 * with the dimension values it counts under. Events that are not outcomes (created, routed,
 * refunds, ...) count nowhere.
 */
import type { PaymentEvent, PaymentEventType } from '../../schemas/types.ts';

export type Dimension = 'CHANNEL' | 'MERCHANT' | 'METHOD' | 'ARM';

export interface Observation {
  /** Event time: when the outcome happened. */
  atMs: number;
  /** The payment's id, for logs. */
  paymentId: string;
  currency: string;
  success: boolean;
  /** The channel call's latency, when the outcome came from one. */
  latencyMs: number | null;
  /** Succeeded amount in minor units (0 for a failure). */
  amountMinor: bigint;
  /** For successes: whether the call's answer ended it (sync) or a callback/query did (async). */
  completion: 'sync' | 'async' | null;
  dimensions: ReadonlyArray<{ dimension: Dimension; value: string }>;
}

const FAILURES: ReadonlySet<PaymentEventType> = new Set(['FAILED', 'EXPIRED', 'RISK_REJECTED', 'CANCELLED']);

export function observe(e: PaymentEvent): Observation | undefined {
  const success = e.type === 'SUCCEEDED';
  if (!success && !FAILURES.has(e.type)) return undefined;
  const dimensions: Array<{ dimension: Dimension; value: string }> = [
    { dimension: 'MERCHANT', value: e.merchantId },
    { dimension: 'METHOD', value: e.method },
  ];
  if (e.channelId !== null) dimensions.push({ dimension: 'CHANNEL', value: e.channelId });
  if (e.experimentArm !== null) dimensions.push({ dimension: 'ARM', value: `${e.ruleId ?? 'rule'}/${e.experimentArm}` });
  return {
    atMs: e.occurredAtMs,
    paymentId: e.paymentId,
    currency: e.currency,
    success,
    latencyMs: e.channelLatencyMs,
    amountMinor: success ? (e.capturedMinor > 0n ? e.capturedMinor : e.amountMinor) : 0n,
    completion: !success || e.completion === null ? null : e.completion === 'SYNC' ? 'sync' : 'async',
    dimensions,
  };
}
