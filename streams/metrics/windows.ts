/**
 * Event-time tumbling windows with a watermark and allowed lateness, pure: observations in, closed
 * windows out. Each input partition is in order apart from small disorder, but partitions are read
 * in turns, one batch each, so one partition's batch may run a minute of event time ahead of
 * another's: the watermark is therefore the smallest, over the partitions seen, of the newest event
 * time of that partition, minus OUT_OF_ORDERNESS_MS (or, when all input is idle, the wall clock
 * minus IDLE_WATERMARK_LAG_MS, via `advanceTo`). A window [start, end) closes once the
 * watermark reaches end + ALLOWED_LATENESS_MS; an observation for a window that closed by then is
 * late for that window size: counted as late, never added (it may still be in time for the
 * larger size, and counts there). Windows a previous run already emitted (`emittedThrough`,
 * restored after a restart) are skipped without counting.
 *
 * Each observation may carry a source position (partition, offset): `lowOffsets()` tells the
 * processor, per partition, the first offset still needed by an open window, which is as far as
 * it may commit.
 */
import { Tally } from './aggregate.ts';
import type { Dimension, Observation } from './observe.ts';

export interface WindowOptions {
  sizesMs: readonly number[];
  outOfOrdernessMs: number;
  allowedLatenessMs: number;
  /** Per window size, the end of the last window already emitted (from a previous run). */
  emittedThrough?: Readonly<Record<number, number>>;
}

export interface ClosedWindow {
  sizeMs: number;
  startMs: number;
  endMs: number;
  dimension: Dimension;
  value: string;
  currency: string;
  tally: Tally;
}

export type AddResult = 'counted' | 'late' | 'emitted_before';

interface OpenWindow {
  tallies: Map<string, { dimension: Dimension; value: string; currency: string; tally: Tally }>;
  /** Per partition, the lowest source offset counted in this window. */
  lowOffsets: Map<number, bigint>;
}

export class WindowedAggregator {
  readonly #options: WindowOptions;
  /** size → window start → open window. */
  readonly #open = new Map<number, Map<number, OpenWindow>>();
  readonly #emittedThrough = new Map<number, number>();
  /** Per partition (-1 for observations without a source), the newest event time seen. */
  readonly #newest = new Map<number, number>();
  #floor = Number.NEGATIVE_INFINITY;
  #watermark = Number.NEGATIVE_INFINITY;
  readonly #late = new Map<number, number>();

  constructor(options: WindowOptions) {
    this.#options = options;
    for (const size of options.sizesMs) {
      this.#open.set(size, new Map());
      this.#emittedThrough.set(size, options.emittedThrough?.[size] ?? Number.NEGATIVE_INFINITY);
    }
  }

  get watermark(): number {
    return this.#watermark;
  }

  /** Per window size, observations refused as late since the start. */
  lateCounts(): Record<number, number> {
    return Object.fromEntries(this.#options.sizesMs.map((size) => [size, this.#late.get(size) ?? 0]));
  }

  /** Per size, the end of the last window emitted (for the processor to persist). */
  emittedThrough(): Record<number, number> {
    return Object.fromEntries([...this.#emittedThrough].filter(([, end]) => Number.isFinite(end)));
  }

  /**
   * Counts `o` into its window of every size still open; `late` when any of them had closed
   * already. `source.handledBefore` marks a record a previous run handled (replayed after a
   * restart): in a window that run emitted it was counted there, so it is skipped, not late.
   */
  add(o: Observation, source?: { partition: number; offset: bigint; handledBefore?: boolean }): AddResult {
    let result: AddResult = 'counted';
    const keys = o.dimensions.map((d) => `${d.dimension}\u0000${d.value}\u0000${o.currency}`);
    for (const size of this.#options.sizesMs) {
      const startMs = Math.floor(o.atMs / size) * size;
      const endMs = startMs + size;
      if (endMs <= (this.#emittedThrough.get(size) ?? Number.NEGATIVE_INFINITY)) {
        if (source?.handledBefore === true && endMs + this.#options.allowedLatenessMs > this.#watermark) {
          if (result === 'counted') result = 'emitted_before';
        } else {
          result = this.#countLate(size);
        }
        continue;
      }
      if (endMs + this.#options.allowedLatenessMs <= this.#watermark) {
        result = this.#countLate(size);
        continue;
      }
      const bySize = this.#open.get(size) as Map<number, OpenWindow>;
      let window = bySize.get(startMs);
      if (window === undefined) {
        window = { tallies: new Map(), lowOffsets: new Map() };
        bySize.set(startMs, window);
      }
      for (const [i, d] of o.dimensions.entries()) {
        const key = keys[i] as string;
        let entry = window.tallies.get(key);
        if (entry === undefined) {
          entry = { dimension: d.dimension, value: d.value, currency: o.currency, tally: new Tally() };
          window.tallies.set(key, entry);
        }
        entry.tally.add(o);
      }
      if (source !== undefined) {
        const low = window.lowOffsets.get(source.partition);
        if (low === undefined || source.offset < low) window.lowOffsets.set(source.partition, source.offset);
      }
    }
    const partition = source?.partition ?? -1;
    const newest = this.#newest.get(partition) ?? Number.NEGATIVE_INFINITY;
    if (o.atMs > newest) {
      this.#newest.set(partition, o.atMs);
      this.#recompute();
    }
    return result;
  }

  #countLate(size: number): 'late' {
    this.#late.set(size, (this.#late.get(size) ?? 0) + 1);
    return 'late';
  }

  /**
   * The input partitions this aggregator reads: each holds the watermark back until its first
   * record arrived, so a partition read after another cannot find its windows closed already.
   */
  assign(partitions: readonly number[]): void {
    for (const p of [...this.#newest.keys()]) if (p >= 0 && !partitions.includes(p)) this.#newest.delete(p);
    for (const p of partitions) if (!this.#newest.has(p)) this.#newest.set(p, Number.NEGATIVE_INFINITY);
    this.#recompute();
  }

  /** Moves the watermark forward (never back), e.g. from the wall clock when input is idle. */
  advanceTo(watermarkMs: number): void {
    this.#floor = Math.max(this.#floor, watermarkMs);
    this.#recompute();
  }

  #recompute(): void {
    let slowest = this.#newest.size === 0 ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
    for (const t of this.#newest.values()) if (t < slowest) slowest = t;
    // Never backwards: a partition seen for the first time late does not reopen closed windows.
    this.#watermark = Math.max(this.#watermark, this.#floor, slowest - this.#options.outOfOrdernessMs);
  }

  /** Removes and returns every window the watermark has closed, oldest end first. */
  drainClosed(): ClosedWindow[] {
    const closed: ClosedWindow[] = [];
    for (const [size, bySize] of this.#open) {
      const due = [...bySize.keys()].filter((start) => start + size + this.#options.allowedLatenessMs <= this.#watermark).sort((a, b) => a - b);
      for (const startMs of due) {
        const window = bySize.get(startMs) as OpenWindow;
        bySize.delete(startMs);
        for (const t of window.tallies.values()) closed.push({ sizeMs: size, startMs, endMs: startMs + size, dimension: t.dimension, value: t.value, currency: t.currency, tally: t.tally });
        this.#emittedThrough.set(size, Math.max(this.#emittedThrough.get(size) ?? Number.NEGATIVE_INFINITY, startMs + size));
      }
    }
    return closed.sort((a, b) => a.endMs - b.endMs || a.sizeMs - b.sizeMs);
  }

  /** Per partition, the lowest offset an open window still needs; partitions absent need nothing. */
  lowOffsets(): Map<number, bigint> {
    const out = new Map<number, bigint>();
    for (const bySize of this.#open.values()) {
      for (const window of bySize.values()) {
        for (const [partition, offset] of window.lowOffsets) {
          const held = out.get(partition);
          if (held === undefined || offset < held) out.set(partition, offset);
        }
      }
    }
    return out;
  }

  /** Open windows, for the current-window gauges: size → start → tallies. */
  open(): ReadonlyArray<ClosedWindow> {
    const out: ClosedWindow[] = [];
    for (const [size, bySize] of this.#open) {
      for (const [startMs, window] of bySize) {
        for (const t of window.tallies.values()) out.push({ sizeMs: size, startMs, endMs: startMs + size, dimension: t.dimension, value: t.value, currency: t.currency, tally: t.tally });
      }
    }
    return out;
  }
}
