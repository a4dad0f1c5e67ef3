/**
 * What a merchant receives: the payment events that matter to a merchant, as a small stable JSON
 * document, signed with the merchant's webhook secret under the API's scheme (api/signature.ts)
 * with the event id in place of the nonce:
 *
 *   X-Paystream-Event-Id, X-Paystream-Timestamp, X-Paystream-Signature: v1=hex(HMAC-SHA256(secret,
 *   timestamp + "\n" + eventId + "\n" + "POST" + "\n" + path-with-query + "\n" + sha256-hex(body)))
 *
 * The merchant verifies it like the API verifies requests, and drops an event id it has seen.
 */
import type { PaymentEvent, PaymentEventType } from '../../schemas/types.ts';
import { sign } from '../../api/signature.ts';

/** Events a merchant is told about; routing and risk steps in between are the pipeline's own. */
export const MERCHANT_EVENT_TYPES: ReadonlySet<PaymentEventType> = new Set(['PROCESSING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'EXPIRED', 'RISK_REJECTED', 'REVIEW_REQUIRED', 'REFUND_SUCCEEDED', 'REFUND_FAILED']);

export function webhookBody(event: PaymentEvent): string {
  return JSON.stringify({
    id: event.eventId,
    type: `payment.${event.type.toLowerCase()}`,
    createdAt: new Date(event.occurredAtMs).toISOString(),
    data: {
      paymentId: event.paymentId,
      merchantOrderId: event.merchantReference,
      status: event.status.toLowerCase(),
      // Minor units are bounded by the per-currency limits, far below 2^53.
      amountMinor: Number(event.amountMinor),
      currency: event.currency,
      capturedMinor: Number(event.capturedMinor),
      refundedMinor: Number(event.refundedMinor),
      reason: event.reason,
      ...(event.refundId === null ? {} : { refundId: event.refundId, refundAmountMinor: Number(event.refundAmountMinor ?? 0n) }),
    },
  });
}

export function webhookHeaders(secret: string, url: string, eventId: string, body: string, nowMs: number): Record<string, string> {
  const target = new URL(url);
  const timestamp = String(Math.floor(nowMs / 1000));
  return {
    'content-type': 'application/json',
    'x-paystream-event-id': eventId,
    'x-paystream-timestamp': timestamp,
    'x-paystream-signature': `v1=${sign(secret, { timestamp, nonce: eventId, method: 'POST', pathWithQuery: `${target.pathname}${target.search}`, body })}`,
  };
}
