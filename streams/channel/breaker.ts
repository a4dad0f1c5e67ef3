/**
 * A circuit breaker as a pure state machine: closed → open (failure rate over a sliding window
 * reached) → half-open after a cool-down (a few probes) → closed after enough probe successes,
 * or back to open on any probe failure. Time comes in as `nowMs`; nothing here reads a clock,
 * so every transition is testable without waiting.
 */
import {
  BREAKER_BUCKETS,
  BREAKER_CALLS_MIN,
  BREAKER_COOLDOWN_MS,
  BREAKER_FAILURE_RATE_OPEN,
  BREAKER_PROBES_MAX,
  BREAKER_PROBE_SUCCESSES_TO_CLOSE,
  BREAKER_WINDOW_MS,
} from './limits.ts';

export interface BreakerOptions {
  windowMs: number;
  buckets: number;
  callsMin: number;
  failureRateOpen: number;
  cooldownMs: number;
  probesMax: number;
  probeSuccessesToClose: number;
}

export const DEFAULT_BREAKER_OPTIONS: Readonly<BreakerOptions> = Object.freeze({
  windowMs: BREAKER_WINDOW_MS,
  buckets: BREAKER_BUCKETS,
  callsMin: BREAKER_CALLS_MIN,
  failureRateOpen: BREAKER_FAILURE_RATE_OPEN,
  cooldownMs: BREAKER_COOLDOWN_MS,
  probesMax: BREAKER_PROBES_MAX,
  probeSuccessesToClose: BREAKER_PROBE_SUCCESSES_TO_CLOSE,
});

interface Bucket {
  /** Start of the bucket's slice of time (a multiple of the bucket width). */
  startMs: number;
  successes: number;
  failures: number;
}

export type BreakerState =
  | { kind: 'closed'; buckets: readonly Bucket[] }
  | { kind: 'open'; openedAtMs: number }
  | { kind: 'half_open'; probesInFlight: number; probeSuccesses: number };

export type BreakerKind = BreakerState['kind'];

export const CLOSED: BreakerState = Object.freeze({ kind: 'closed', buckets: Object.freeze([]) });

/** Whether a call may go out now; when it may, the state counts it (a probe while half-open). */
export function tryAcquire(
  state: BreakerState,
  nowMs: number,
  options: Readonly<BreakerOptions> = DEFAULT_BREAKER_OPTIONS,
): { allowed: boolean; state: BreakerState } {
  switch (state.kind) {
    case 'closed':
      return { allowed: true, state };
    case 'open':
      if (nowMs - state.openedAtMs < options.cooldownMs) return { allowed: false, state };
      return { allowed: true, state: { kind: 'half_open', probesInFlight: 1, probeSuccesses: 0 } };
    case 'half_open':
      if (state.probesInFlight + state.probeSuccesses >= options.probesMax) return { allowed: false, state };
      return { allowed: true, state: { ...state, probesInFlight: state.probesInFlight + 1 } };
    default: {
      const unreachable: never = state;
      throw new Error(`unknown breaker state ${JSON.stringify(unreachable)}`);
    }
  }
}

/** Whether a call would be allowed, without counting it (for skipping a channel in routing). */
export function isCallable(state: BreakerState, nowMs: number, options: Readonly<BreakerOptions> = DEFAULT_BREAKER_OPTIONS): boolean {
  return tryAcquire(state, nowMs, options).allowed;
}

/**
 * The outcome of a call that `tryAcquire` allowed. A call that started before the breaker
 * opened and ends while it is open changes nothing: the breaker already knows.
 */
export function recordOutcome(
  state: BreakerState,
  nowMs: number,
  ok: boolean,
  options: Readonly<BreakerOptions> = DEFAULT_BREAKER_OPTIONS,
): BreakerState {
  switch (state.kind) {
    case 'closed': {
      const buckets = addToWindow(state.buckets, nowMs, ok, options);
      return shouldOpen(buckets, options) ? { kind: 'open', openedAtMs: nowMs } : { kind: 'closed', buckets };
    }
    case 'open':
      return state;
    case 'half_open': {
      if (!ok) return { kind: 'open', openedAtMs: nowMs };
      const probeSuccesses = state.probeSuccesses + 1;
      if (probeSuccesses >= options.probeSuccessesToClose) return CLOSED;
      return { kind: 'half_open', probesInFlight: Math.max(0, state.probesInFlight - 1), probeSuccesses };
    }
    default: {
      const unreachable: never = state;
      throw new Error(`unknown breaker state ${JSON.stringify(unreachable)}`);
    }
  }
}

/** A call `tryAcquire` allowed that ended without an outcome worth counting (cancelled): frees its probe slot. */
export function releaseWithoutOutcome(state: BreakerState): BreakerState {
  if (state.kind !== 'half_open') return state;
  return { ...state, probesInFlight: Math.max(0, state.probesInFlight - 1) };
}

/** Failure rate over the live window (0 when empty), for metrics. */
export function failureRate(state: BreakerState, nowMs: number, options: Readonly<BreakerOptions> = DEFAULT_BREAKER_OPTIONS): number {
  if (state.kind !== 'closed') return state.kind === 'open' ? 1 : 0;
  const live = liveBuckets(state.buckets, nowMs, options);
  const { calls, failures } = totals(live);
  return calls === 0 ? 0 : failures / calls;
}

function bucketWidthMs(options: Readonly<BreakerOptions>): number {
  return options.windowMs / options.buckets;
}

function liveBuckets(buckets: readonly Bucket[], nowMs: number, options: Readonly<BreakerOptions>): Bucket[] {
  const width = bucketWidthMs(options);
  const oldestStartMs = Math.floor(nowMs / width) * width - (options.buckets - 1) * width;
  return buckets.filter((b) => b.startMs >= oldestStartMs);
}

function addToWindow(buckets: readonly Bucket[], nowMs: number, ok: boolean, options: Readonly<BreakerOptions>): Bucket[] {
  const width = bucketWidthMs(options);
  const startMs = Math.floor(nowMs / width) * width;
  const live = liveBuckets(buckets, nowMs, options);
  const last = live[live.length - 1];
  const bump = (b: Bucket): Bucket => (ok ? { ...b, successes: b.successes + 1 } : { ...b, failures: b.failures + 1 });
  // An outcome stamped slightly in the past (clock steps, late completions) lands in the newest bucket.
  if (last !== undefined && last.startMs >= startMs) return [...live.slice(0, -1), bump(last)];
  return [...live, bump({ startMs, successes: 0, failures: 0 })];
}

function totals(buckets: readonly Bucket[]): { calls: number; failures: number } {
  let calls = 0;
  let failures = 0;
  for (const b of buckets) {
    calls += b.successes + b.failures;
    failures += b.failures;
  }
  return { calls, failures };
}

function shouldOpen(buckets: readonly Bucket[], options: Readonly<BreakerOptions>): boolean {
  const { calls, failures } = totals(buckets);
  return calls >= options.callsMin && failures / calls >= options.failureRateOpen;
}
