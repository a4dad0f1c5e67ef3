/**
 * The payment state machine: the one table of valid moves. Every input of the result processor
 * (apply.ts) asks this table whether its target status may follow the current one. A move that is
 * not in the table is refused with a reason and counted; nothing else changes a payment's status.
 *
 *   CREATED → ROUTED → RISK_APPROVED | RISK_REJECTED | IN_REVIEW (→ RISK_APPROVED | RISK_REJECTED)
 *           → SUBMITTED → PROCESSING → SUCCEEDED | FAILED | EXPIRED
 *   before SUBMITTED: CANCELLED, EXPIRED, FAILED (no route, no usable channel)
 *   SUCCEEDED → REFUND_PENDING → PARTIALLY_REFUNDED | REFUNDED (| back when the refund failed)
 */
import type { PaymentStatus } from '../../schemas/types.ts';

export const TRANSITIONS: Readonly<Record<PaymentStatus, readonly PaymentStatus[]>> = {
  CREATED: ['ROUTED', 'CANCELLED', 'EXPIRED', 'FAILED'],
  ROUTED: ['RISK_APPROVED', 'RISK_REJECTED', 'IN_REVIEW', 'CANCELLED', 'EXPIRED', 'FAILED'],
  IN_REVIEW: ['RISK_APPROVED', 'RISK_REJECTED', 'CANCELLED', 'EXPIRED'],
  RISK_APPROVED: ['SUBMITTED', 'PROCESSING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'EXPIRED'],
  // A submitted payment may have been charged: it is never CANCELLED, only ended by the channel's answer or expiry.
  SUBMITTED: ['PROCESSING', 'SUCCEEDED', 'FAILED', 'EXPIRED'],
  PROCESSING: ['SUCCEEDED', 'FAILED', 'EXPIRED'],
  SUCCEEDED: ['REFUND_PENDING'],
  REFUND_PENDING: ['PARTIALLY_REFUNDED', 'REFUNDED', 'SUCCEEDED', 'REFUND_PENDING'],
  PARTIALLY_REFUNDED: ['REFUND_PENDING'],
  REFUNDED: [],
  RISK_REJECTED: [],
  FAILED: [],
  CANCELLED: [],
  EXPIRED: [],
};

export const FINAL_STATUSES: ReadonlySet<PaymentStatus> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED', 'EXPIRED', 'RISK_REJECTED', 'PARTIALLY_REFUNDED', 'REFUNDED', 'REFUND_PENDING']);
/** Ended without the money moving: a later channel success for one of these is a conflict. */
export const ENDED_UNPAID: ReadonlySet<PaymentStatus> = new Set(['FAILED', 'CANCELLED', 'EXPIRED', 'RISK_REJECTED']);

/**
 * How far along the flow a status is. Inputs arrive out of order (a callback before the attempt
 * record, ROUTED after ASSESSED); an input whose status is not ahead of the payment's is stale
 * knowledge and changes nothing.
 */
export const STAGE: Readonly<Record<PaymentStatus, number>> = {
  CREATED: 0,
  ROUTED: 1,
  IN_REVIEW: 2,
  RISK_APPROVED: 3,
  RISK_REJECTED: 3,
  SUBMITTED: 4,
  PROCESSING: 5,
  SUCCEEDED: 6,
  FAILED: 6,
  CANCELLED: 6,
  EXPIRED: 6,
  REFUND_PENDING: 7,
  PARTIALLY_REFUNDED: 7,
  REFUNDED: 7,
};

export function isValidMove(from: PaymentStatus, to: PaymentStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Every status reachable from `from` through valid moves (not `from` itself unless on a cycle). */
export function reachableFrom(from: PaymentStatus): ReadonlySet<PaymentStatus> {
  const seen = new Set<PaymentStatus>();
  const queue: PaymentStatus[] = [...TRANSITIONS[from]];
  while (queue.length > 0) {
    const next = queue.shift() as PaymentStatus;
    if (seen.has(next)) continue;
    seen.add(next);
    queue.push(...TRANSITIONS[next]);
  }
  return seen;
}
