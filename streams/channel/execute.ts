/**
 * Runs one payment's calls as `decide.ts` directs: create, query, fail over, until a final
 * status or a reason to stop. Returns the attempt lines to publish, in the order they happened.
 * Calls are idempotent on `paymentId:attempt`, so running a payment again (its transaction
 * aborted) sends the same keys and the channels answer as before instead of charging again.
 */
import type { ChannelAdapter, ChannelId } from '../../connectors/channels/types.ts';
import type { PaymentAssessed, PaymentAttempt } from '../../schemas/types.ts';
import { afterCreate, afterQuery, afterRefusal, attemptId, begin, type AttemptLine, type Decision, type Step } from './decide.ts';
import type { ChannelGate } from './gate.ts';
import { CREATE_TIMEOUT_MS, QUERY_TIMEOUT_MS, STATUS_QUERIES_MAX, CHANNELS_PER_PAYMENT_MAX } from './limits.ts';

export interface ExecutorChannels {
  adapters: Partial<Record<ChannelId, ChannelAdapter>>;
  gates: Partial<Record<ChannelId, ChannelGate>>;
  /** Call deadlines; CREATE_TIMEOUT_MS and QUERY_TIMEOUT_MS unless a test shortens them. */
  createTimeoutMs?: number;
  queryTimeoutMs?: number;
}

export interface Execution {
  attempts: PaymentAttempt[];
  /** How it ended: a final step or a reason to stop. */
  end: Extract<Step, { kind: 'final' | 'give_up' }>;
}

/** Steps one payment may take: each channel's create plus its queries, and one for the end. */
const STEPS_MAX = CHANNELS_PER_PAYMENT_MAX * (1 + STATUS_QUERIES_MAX) + 1;

export async function executePayment(payment: PaymentAssessed, channels: ExecutorChannels, clock: { nowMs(): number }): Promise<Execution> {
  const usable = (id: ChannelId): boolean => channels.adapters[id] !== undefined && channels.gates[id]?.usable() === true;
  const attempts: PaymentAttempt[] = [];
  let decision: Decision = begin(payment, usable);
  const requestedAtMs = new Map<number, number>();
  const publish = (lines: readonly AttemptLine[]): void => {
    for (const line of lines) attempts.push(toAttempt(payment, line, requestedAtMs.get(line.attemptNumber) ?? clock.nowMs(), clock.nowMs()));
  };
  for (let steps = 0; steps < STEPS_MAX; steps += 1) {
    publish(decision.record);
    const step = decision.next;
    if (step.kind === 'final' || step.kind === 'give_up') return { attempts, end: step };
    const adapter = channels.adapters[step.channelId];
    const gate = channels.gates[step.channelId];
    if (adapter === undefined || gate === undefined) throw new Error(`decide chose ${step.channelId}, which has no adapter`);
    const id = attemptId(payment.paymentId, step.attemptNumber);
    if (step.kind === 'create') {
      requestedAtMs.set(step.attemptNumber, clock.nowMs());
      const result = await gate.create(() =>
        adapter.createPayment(
          { paymentId: payment.paymentId, attemptId: id, amountMinor: payment.amountMinor, currency: payment.currency, instrument: instrumentOf(payment) },
          { timeoutMs: channels.createTimeoutMs ?? CREATE_TIMEOUT_MS },
        ),
      );
      decision = result.status === 'refused' ? afterRefusal(decision.progress, usable) : afterCreate(decision.progress, result, usable);
    } else {
      const result = await gate.query(() => adapter.queryStatus({ attemptId: id }, { timeoutMs: channels.queryTimeoutMs ?? QUERY_TIMEOUT_MS }));
      decision = afterQuery(decision.progress, result, usable);
    }
  }
  throw new Error(`payment ${payment.paymentId} took more than ${STEPS_MAX} steps: decide.ts does not converge`);
}

/**
 * What the payer pays with. Card tokens are issued by the vault; until the assessed record
 * carries one, the payment id stands in as the token the sandbox acquirers accept.
 */
function instrumentOf(payment: PaymentAssessed): { kind: 'card'; token: string; expiryMonth: number; expiryYear: number } | { kind: 'wallet' } {
  switch (payment.method) {
    case 'CARD':
    case 'BANK':
      return { kind: 'card', token: `tok_${payment.paymentId}`, expiryMonth: 12, expiryYear: 2099 };
    case 'WALLET_A':
    case 'WALLET_B':
      return { kind: 'wallet' };
    default: {
      const unreachable: never = payment.method;
      throw new Error(`unknown payment method ${String(unreachable)}`);
    }
  }
}

function toAttempt(payment: PaymentAssessed, line: AttemptLine, requestedAtMs: number, nowMs: number): PaymentAttempt {
  return {
    paymentId: payment.paymentId,
    attemptId: attemptId(payment.paymentId, line.attemptNumber),
    attemptNumber: line.attemptNumber,
    channelId: line.channelId,
    amountMinor: payment.amountMinor,
    currency: payment.currency,
    status: line.status,
    channelReference: line.channelReference,
    declineCode: line.declineCode,
    errorCode: line.errorCode,
    requestedAtMs,
    respondedAtMs: line.status === 'SENT' ? null : nowMs,
  };
}
