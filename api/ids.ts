/**
 * Ids derived from the merchant and its Idempotency-Key. A retry after a 503 therefore carries
 * the same paymentId and commandId as the attempt that may have reached Kafka anyway, and
 * consumers drop the duplicate command by its commandId; nothing needs to survive in between.
 */
import { createHash } from 'node:crypto';

function derive(kind: string, ...parts: string[]): string {
  return createHash('sha256').update([kind, ...parts].join('\u0000')).digest('base64url').slice(0, 24);
}

export function paymentIdFor(merchantId: string, idempotencyKey: string): string {
  return `pay_${derive('payment', merchantId, idempotencyKey)}`;
}

export function refundIdFor(merchantId: string, paymentId: string, idempotencyKey: string): string {
  return `ref_${derive('refund', merchantId, paymentId, idempotencyKey)}`;
}

export function commandIdFor(kind: 'create' | 'cancel' | 'refund', id: string): string {
  return `cmd_${derive(kind, id)}`;
}
