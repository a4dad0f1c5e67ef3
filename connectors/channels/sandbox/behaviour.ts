/**
 * How a sandbox acquirer misbehaves, set at start and changed at run time through the admin
 * endpoint. Every field is validated and bounded; a patch replaces only the fields it names.
 */
import { PaystreamError } from '../../../lib/errors.ts';
import { CALLBACK_ATTEMPTS_MAX, CALLBACK_RETRY_DELAY_MS_MAX, CALLBACK_RETRY_DELAY_MS_MIN, LATENCY_MS_MAX, STATEMENT_EXTRA_LINES_MAX, TIMEOUT_HOLD_MS_MAX } from './limits.ts';
import type { Random } from './random.ts';

export type LatencyDistribution =
  | { kind: 'fixed'; ms: number }
  | { kind: 'uniform'; minMs: number; maxMs: number }
  /** Long-tailed like real networks: median plus a log-normal spread. */
  | { kind: 'lognormal'; medianMs: number; sigma: number };

export interface CallbackBehaviour {
  delay: LatencyDistribution;
  /** Chance a callback is delivered twice even after the first is acknowledged. */
  duplicateRate: number;
  /** Chance a callback is never sent (only a status query tells the outcome). */
  lossRate: number;
  /** First retry delay; doubles per attempt up to the limit. */
  retryDelayMs: number;
  maxAttempts: number;
}

export interface StatementDiscrepancies {
  /** Chance a journal line is left out of the statement. */
  missingRate: number;
  /** Lines the statement adds that the journal never had. */
  extraCount: number;
  /** Chance a line's amount differs from the journal. */
  amountRate: number;
  /** Chance a line's status says failed though the journal charged. */
  statusRate: number;
  /** Chance a line's fee differs from the fee schedule. */
  feeRate: number;
}

export interface Behaviour {
  latency: LatencyDistribution;
  declineRate: number;
  /** Chance of a 5xx answer before anything is processed (surely not charged). */
  errorRate: number;
  /** Chance the answer is held past any client timeout. */
  timeoutRate: number;
  /** Of the timeouts, the share processed (and maybe charged) before the answer is held. */
  timeoutProcessedRate: number;
  timeoutHoldMs: number;
  /** Every API call answers 503. */
  outage: boolean;
  /** Wallets: how long the payer takes, and how often they fail. */
  completionDelay: LatencyDistribution;
  completionDeclineRate: number;
  callbacks: CallbackBehaviour;
  statement: StatementDiscrepancies;
}

export type BehaviourPatch = Partial<Omit<Behaviour, 'callbacks' | 'statement'>> & {
  callbacks?: Partial<CallbackBehaviour>;
  statement?: Partial<StatementDiscrepancies>;
};

export const DEFAULT_BEHAVIOUR: Readonly<Behaviour> = Object.freeze<Behaviour>({
  latency: { kind: 'fixed', ms: 0 },
  declineRate: 0,
  errorRate: 0,
  timeoutRate: 0,
  timeoutProcessedRate: 1,
  timeoutHoldMs: 30_000,
  outage: false,
  completionDelay: { kind: 'fixed', ms: 0 },
  completionDeclineRate: 0,
  callbacks: { delay: { kind: 'fixed', ms: 0 }, duplicateRate: 0, lossRate: 0, retryDelayMs: 50, maxAttempts: 8 },
  statement: { missingRate: 0, extraCount: 0, amountRate: 0, statusRate: 0, feeRate: 0 },
});

export class BehaviourError extends PaystreamError<'sandbox_behaviour_invalid'> {
  constructor(message: string) {
    super('sandbox_behaviour_invalid', message);
    this.name = 'BehaviourError';
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function num(o: Obj, key: string, min: number, max: number, fallback: number, integer = false): number {
  const v = o[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw new BehaviourError(`${key} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}]`);
  }
  return v;
}

const rate = (o: Obj, key: string, fallback: number) => num(o, key, 0, 1, fallback);

function latency(v: unknown, fallback: LatencyDistribution, what: string): LatencyDistribution {
  if (v === undefined) return fallback;
  if (!isObj(v)) throw new BehaviourError(`${what} must be an object`);
  const keys = Object.keys(v);
  switch (v.kind) {
    case 'fixed':
      onlyKeys(keys, ['kind', 'ms'], what);
      return { kind: 'fixed', ms: num(v, 'ms', 0, LATENCY_MS_MAX, 0) };
    case 'uniform': {
      onlyKeys(keys, ['kind', 'minMs', 'maxMs'], what);
      const minMs = num(v, 'minMs', 0, LATENCY_MS_MAX, 0);
      const maxMs = num(v, 'maxMs', minMs, LATENCY_MS_MAX, minMs);
      return { kind: 'uniform', minMs, maxMs };
    }
    case 'lognormal':
      onlyKeys(keys, ['kind', 'medianMs', 'sigma'], what);
      return { kind: 'lognormal', medianMs: num(v, 'medianMs', 0, LATENCY_MS_MAX, 0), sigma: num(v, 'sigma', 0, 3, 0.5) };
    default:
      throw new BehaviourError(`${what}.kind must be fixed, uniform or lognormal`);
  }
}

function onlyKeys(keys: string[], allowed: readonly string[], what: string): void {
  const unknown = keys.filter((k) => !allowed.includes(k));
  if (unknown.length > 0) throw new BehaviourError(`${what} has unknown fields: ${unknown.join(', ')}`);
}

/** Validates a patch (from JSON or code) and returns the new complete behaviour. */
export function applyBehaviourPatch(current: Behaviour, patch: unknown): Behaviour {
  if (!isObj(patch)) throw new BehaviourError('behaviour patch must be an object');
  onlyKeys(Object.keys(patch), Object.keys(DEFAULT_BEHAVIOUR), 'behaviour');
  if (patch.outage !== undefined && typeof patch.outage !== 'boolean') throw new BehaviourError('outage must be a boolean');
  const cb = patch.callbacks ?? {};
  const st = patch.statement ?? {};
  if (!isObj(cb)) throw new BehaviourError('callbacks must be an object');
  if (!isObj(st)) throw new BehaviourError('statement must be an object');
  onlyKeys(Object.keys(cb), Object.keys(DEFAULT_BEHAVIOUR.callbacks), 'callbacks');
  onlyKeys(Object.keys(st), Object.keys(DEFAULT_BEHAVIOUR.statement), 'statement');
  return {
    latency: latency(patch.latency, current.latency, 'latency'),
    declineRate: rate(patch, 'declineRate', current.declineRate),
    errorRate: rate(patch, 'errorRate', current.errorRate),
    timeoutRate: rate(patch, 'timeoutRate', current.timeoutRate),
    timeoutProcessedRate: rate(patch, 'timeoutProcessedRate', current.timeoutProcessedRate),
    timeoutHoldMs: num(patch, 'timeoutHoldMs', 0, TIMEOUT_HOLD_MS_MAX, current.timeoutHoldMs),
    outage: typeof patch.outage === 'boolean' ? patch.outage : current.outage,
    completionDelay: latency(patch.completionDelay, current.completionDelay, 'completionDelay'),
    completionDeclineRate: rate(patch, 'completionDeclineRate', current.completionDeclineRate),
    callbacks: {
      delay: latency(cb.delay, current.callbacks.delay, 'callbacks.delay'),
      duplicateRate: rate(cb, 'duplicateRate', current.callbacks.duplicateRate),
      lossRate: rate(cb, 'lossRate', current.callbacks.lossRate),
      retryDelayMs: num(cb, 'retryDelayMs', CALLBACK_RETRY_DELAY_MS_MIN, CALLBACK_RETRY_DELAY_MS_MAX, current.callbacks.retryDelayMs),
      maxAttempts: num(cb, 'maxAttempts', 1, CALLBACK_ATTEMPTS_MAX, current.callbacks.maxAttempts, true),
    },
    statement: {
      missingRate: rate(st, 'missingRate', current.statement.missingRate),
      extraCount: num(st, 'extraCount', 0, STATEMENT_EXTRA_LINES_MAX, current.statement.extraCount, true),
      amountRate: rate(st, 'amountRate', current.statement.amountRate),
      statusRate: rate(st, 'statusRate', current.statement.statusRate),
      feeRate: rate(st, 'feeRate', current.statement.feeRate),
    },
  };
}

/** One draw from a latency distribution, in whole milliseconds, bounded. */
export function sampleLatencyMs(d: LatencyDistribution, random: Random): number {
  let ms: number;
  switch (d.kind) {
    case 'fixed':
      ms = d.ms;
      break;
    case 'uniform':
      ms = d.minMs + (d.maxMs - d.minMs) * random.next();
      break;
    case 'lognormal': {
      // Box–Muller for one standard normal draw.
      const u = 1 - random.next();
      const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.next());
      ms = d.medianMs * Math.exp(d.sigma * z);
      break;
    }
    default: {
      const unreachable: never = d;
      throw new Error(`unknown latency distribution ${JSON.stringify(unreachable)}`);
    }
  }
  return Math.min(LATENCY_MS_MAX, Math.max(0, Math.round(ms)));
}
