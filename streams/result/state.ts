/**
 * What the result processor knows about one payment (kept in PostgreSQL, see store.ts) and the
 * inputs it applies, reduced from the six input topics to what the state machine needs.
 */
import type { PaymentCompletion, PaymentEventType, PaymentMethod, PaymentStatus } from '../../schemas/types.ts';

export type RefundState = 'PENDING' | 'SUCCEEDED' | 'FAILED';

export interface RefundRecord {
  amountMinor: bigint;
  status: RefundState;
  /** A refund the processor started itself for a conflicting channel success (not a merchant's). */
  conflict: boolean;
  channelId: string | null;
}

export interface PaymentState {
  paymentId: string;
  merchantId: string;
  merchantReference: string;
  amountMinor: bigint;
  currency: string;
  method: PaymentMethod;
  status: PaymentStatus;
  /** Events emitted so far; the read model's version. */
  sequence: number;
  capturedMinor: bigint;
  refundedMinor: bigint;
  refundPendingMinor: bigint;
  channelId: string | null;
  channelReference: string | null;
  attemptId: string | null;
  ruleId: string | null;
  experimentArm: string | null;
  /** Channels the router allowed (routed channel + fallbacks); 0 while not known. */
  routedChannels: number;
  reason: string | null;
  traceId: string | null;
  createdAtMs: number;
  updatedAtMs: number;
  refunds: Record<string, RefundRecord>;
}

interface InputBase {
  /** Identity of the fact (not of the record): the same callback delivered twice has one id. */
  inputId: string;
  paymentId: string;
  /** Event time of the fact. */
  atMs: number;
}

export type ResultInput = InputBase &
  (
    | { kind: 'create'; merchantId: string; merchantReference: string; amountMinor: bigint; currency: string; method: PaymentMethod; traceId: string | null }
    | { kind: 'cancel'; reason: string }
    | { kind: 'refund'; refundId: string; amountMinor: bigint; currency: string; reason: string }
    | { kind: 'routed'; channelId: string | null; fallbacks: number; ruleId: string | null; experimentArm: string | null }
    | { kind: 'assessed'; decision: 'APPROVE' | 'REVIEW' | 'DECLINE'; reasons: readonly string[]; channelId: string; fallbacks: number; ruleId: string | null; experimentArm: string | null }
    | {
        kind: 'attempt';
        attemptId: string;
        attemptNumber: number;
        channelId: string;
        status: 'SENT' | 'APPROVED' | 'DECLINED' | 'PENDING' | 'FAILED';
        channelReference: string | null;
        declineCode: string | null;
        errorCode: string | null;
        latencyMs: number | null;
      }
    | { kind: 'channel_result'; channelId: string; attemptId: string | null; channelReference: string | null; outcome: 'APPROVED' | 'DECLINED' | 'FAILED'; reason: string | null; completion: Exclude<PaymentCompletion, 'SYNC'>; amountMinor: bigint | null }
    | { kind: 'refund_result'; refundId: string; ok: boolean; reason: string | null }
    | { kind: 'expire'; reason: string }
    | { kind: 'still_pending'; channelId: string | null }
    | { kind: 'chargeback'; channelId: string; channelReference: string | null; amountMinor: bigint | null }
  );

export type InputKind = ResultInput['kind'];

/** An event before the processor stamps ids, sequence and the payment's fields on it. */
export interface EventDraft {
  type: PaymentEventType;
  status: PaymentStatus;
  previousStatus: PaymentStatus | null;
  reason: string | null;
  completion: PaymentCompletion | null;
  channelLatencyMs: number | null;
  refundId: string | null;
  refundAmountMinor: bigint | null;
  occurredAtMs: number;
}

export type AnomalyKind = 'LATE_SUCCESS' | 'CHARGEBACK' | 'AMOUNT_MISMATCH';

export interface AnomalyDraft {
  kind: AnomalyKind;
  statusAtArrival: PaymentStatus;
  channelId: string | null;
  attemptId: string | null;
  channelReference: string | null;
  amountMinor: bigint | null;
  action: 'REFUND_STARTED' | 'MANUAL_REVIEW';
  refundId: string | null;
  detail: string;
  detectedAtMs: number;
}

/** How an input ended: it changed the payment, was already known, came too late, or was refused. */
export type Outcome = 'applied' | 'duplicate' | 'stale' | 'rejected' | 'conflict' | 'parked';

export interface Applied {
  state: PaymentState;
  events: EventDraft[];
  anomalies: AnomalyDraft[];
  outcome: Outcome;
  /** Why an input was refused or stale. */
  reason: string | null;
}
