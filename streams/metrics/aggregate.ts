/**
 * One window's tally for one dimension value and currency: counts, amounts and an HDR histogram
 * of channel latency (hdr-histogram-js: mergeable, bounded memory, 3 significant digits, which
 * is what percentiles over a window of outcomes need; exact sorting would keep every sample).
 */
import { Decimal } from 'decimal.js';
import * as hdr from 'hdr-histogram-js';
import type { Observation } from './observe.ts';
import { LATENCY_MS_MAX } from './limits.ts';

export class Tally {
  requests = 0;
  successes = 0;
  failures = 0;
  amountSumMinor = 0n;
  syncCompletions = 0;
  asyncCompletions = 0;
  readonly latency: hdr.Histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: LATENCY_MS_MAX, numberOfSignificantValueDigits: 3, bitBucketSize: 32, useWebAssembly: false });

  add(o: Observation): void {
    this.requests += 1;
    if (o.success) {
      this.successes += 1;
      this.amountSumMinor += o.amountMinor;
      if (o.completion === 'sync') this.syncCompletions += 1;
      if (o.completion === 'async') this.asyncCompletions += 1;
    } else {
      this.failures += 1;
    }
    if (o.latencyMs !== null) this.latency.recordValue(Math.min(LATENCY_MS_MAX, Math.max(1, Math.round(o.latencyMs))));
  }

  /** Adds another tally's counts and samples into this one. */
  merge(other: Tally): void {
    this.requests += other.requests;
    this.successes += other.successes;
    this.failures += other.failures;
    this.amountSumMinor += other.amountSumMinor;
    this.syncCompletions += other.syncCompletions;
    this.asyncCompletions += other.asyncCompletions;
    this.latency.add(other.latency);
  }

  summary(): TallySummary {
    const samples = this.latency.totalCount;
    const at = (p: number): number | null => (samples === 0 ? null : this.latency.getValueAtPercentile(p));
    return {
      requests: this.requests,
      successes: this.successes,
      failures: this.failures,
      successRate: this.requests === 0 ? 0 : this.successes / this.requests,
      failureRate: this.requests === 0 ? 0 : this.failures / this.requests,
      latencyCount: samples,
      latencyP50Ms: at(50),
      latencyP95Ms: at(95),
      latencyP99Ms: at(99),
      latencyMaxMs: samples === 0 ? null : this.latency.maxValue,
      amountSumMinor: this.amountSumMinor,
      amountAvgMinor: this.successes === 0 ? 0n : BigInt(new Decimal(this.amountSumMinor.toString()).div(this.successes).toDecimalPlaces(0, Decimal.ROUND_HALF_EVEN).toFixed(0)),
      syncCompletions: this.syncCompletions,
      asyncCompletions: this.asyncCompletions,
    };
  }
}

export interface TallySummary {
  requests: number;
  successes: number;
  failures: number;
  successRate: number;
  failureRate: number;
  latencyCount: number;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  latencyP99Ms: number | null;
  latencyMaxMs: number | null;
  amountSumMinor: bigint;
  amountAvgMinor: bigint;
  syncCompletions: number;
  asyncCompletions: number;
}
