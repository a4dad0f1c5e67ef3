/**
 * The live view of each channel the router scores with: success rate and p95 latency decayed
 * over metric windows, breaker reports per executor instance, and the kill switches. Updated
 * record by record from the topics the router follows; read once per decision.
 */
import type { ChannelMetricsWindow } from '../../schemas/types.ts';
import { ChannelSwitches } from '../channel/switches.ts';
import { HEALTH_STALE_MS, STATS_HALF_LIFE_MS, SUCCESS_PRIOR_ATTEMPTS, SUCCESS_PRIOR_RATE } from './limits.ts';

export type BreakerState = 'CLOSED' | 'OPEN' | 'HALF_OPEN';

/** The fields of a channel.health record the router reads (schema ChannelHealth). */
export interface ChannelHealthReport {
  channelId: string;
  instanceId: string;
  breaker: BreakerState;
  enabled: boolean;
  inFlight: number;
  updatedAtMs: number;
}

interface Decayed {
  /** Decayed attempt and approval counts; the rate is approved / attempts. */
  attempts: number;
  approved: number;
  /** Decayed mean of window p95 latencies, weighted by attempts. */
  latencyWeighted: number;
  atMs: number;
}

export interface ChannelView {
  successRate: number;
  /** null when no window has been seen. */
  latencyP95Ms: number | null;
  breaker: BreakerState;
  /** False when switched off by an operator or every reporting instance has it disabled. */
  switchedOn: boolean;
  offReason: string | null;
}

export class ChannelLive {
  readonly switches = new ChannelSwitches();
  readonly #stats = new Map<string, Decayed>();
  readonly #health = new Map<string, Map<string, ChannelHealthReport>>();

  /** One closed metrics window: older evidence loses half its weight every STATS_HALF_LIFE_MS. */
  applyWindow(w: ChannelMetricsWindow): void {
    const held = this.#stats.get(w.channelId);
    const factor = held === undefined ? 0 : Math.pow(0.5, Math.max(0, w.windowEndMs - held.atMs) / STATS_HALF_LIFE_MS);
    // A window older than the held state (replayed or late) still counts, decayed by its age.
    const heldAtMs = held?.atMs ?? w.windowEndMs;
    const late = w.windowEndMs < heldAtMs;
    const lateFactor = late ? Math.pow(0.5, (heldAtMs - w.windowEndMs) / STATS_HALF_LIFE_MS) : 1;
    const keep = late ? 1 : factor;
    const attempts = (held?.attempts ?? 0) * keep + w.attempts * lateFactor;
    const approved = (held?.approved ?? 0) * keep + w.approved * lateFactor;
    const latencyWeighted = (held?.latencyWeighted ?? 0) * keep + w.latencyP95Ms * w.attempts * lateFactor;
    this.#stats.set(w.channelId, { attempts, approved, latencyWeighted, atMs: late ? heldAtMs : w.windowEndMs });
  }

  /** A breaker report from one executor instance; a tombstone removes that instance's report. */
  applyHealth(key: { channelId: string; instanceId: string }, report: ChannelHealthReport | null): void {
    let perInstance = this.#health.get(key.channelId);
    if (perInstance === undefined) {
      perInstance = new Map();
      this.#health.set(key.channelId, perInstance);
    }
    if (report === null) perInstance.delete(key.instanceId);
    else perInstance.set(key.instanceId, report);
  }

  view(channelId: string, nowMs: number): ChannelView {
    const s = this.#stats.get(channelId);
    const attempts = s?.attempts ?? 0;
    const successRate = (SUCCESS_PRIOR_RATE * SUCCESS_PRIOR_ATTEMPTS + (s?.approved ?? 0)) / (SUCCESS_PRIOR_ATTEMPTS + attempts);
    const latencyP95Ms = s === undefined || attempts === 0 ? null : s.latencyWeighted / attempts;
    const fresh = [...(this.#health.get(channelId)?.values() ?? [])].filter((r) => nowMs - r.updatedAtMs <= HEALTH_STALE_MS);
    // The channel is as good as its best instance: the executor fails over between instances too.
    const breaker: BreakerState = fresh.length === 0 || fresh.some((r) => r.breaker === 'CLOSED') ? 'CLOSED' : fresh.some((r) => r.breaker === 'HALF_OPEN') ? 'HALF_OPEN' : 'OPEN';
    const healthOff = fresh.length > 0 && fresh.every((r) => !r.enabled);
    const switchedOn = this.switches.enabled(channelId) && !healthOff;
    const offReason = this.switches.enabled(channelId) ? (healthOff ? 'disabled on every executor' : null) : this.switches.reason(channelId);
    return { successRate, latencyP95Ms, breaker, switchedOn, offReason };
  }
}
