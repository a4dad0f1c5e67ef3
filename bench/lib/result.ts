/**
 * One benchmark figure: the median of several runs, compared with a baseline measured in the
 * same session on the same machine, written to bench/results/<name>.json and printed as one line.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

/** Fewer runs than this make a median meaningless; every figure takes at least this many. */
export const RUNS_MIN = 3;

export interface Machine {
  cores: number;
  memoryBytes: number;
  cpuModel: string;
  node: string;
}

export interface BenchResult {
  name: string;
  /** Median of `runs[].value`. */
  value: number;
  unit: string;
  baseline: { name: string; value: number };
  /** value / baseline.value (ratio of the medians). */
  ratio: number;
  /**
   * Median of the per-run ratios. Each run measures both brokers back to back, so on a shared
   * machine this pairing is steadier than the ratio of medians; both are reported.
   */
  runRatioMedian: number;
  /** Smallest acceptable ratio. */
  target: number;
  targetMet: boolean;
  /** What was measured, in words, so the number can be read without the source. */
  workload: string;
  machine: Machine;
  runs: Array<{ value: number; baseline: number } & Record<string, number | string>>;
  measuredAt: string;
}

export function machine(): Machine {
  const cpuList = cpus();
  return { cores: cpuList.length, memoryBytes: totalmem(), cpuModel: cpuList[0]?.model.trim() ?? 'unknown', node: process.version };
}

/** The middle value (mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] as number;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] as number) + upper) / 2;
}

export interface FigureInput {
  name: string;
  unit: string;
  baselineName: string;
  target: number;
  workload: string;
  /** One entry per run: the measured value and the baseline's value in that run, plus any details. */
  runs: Array<{ value: number; baseline: number } & Record<string, number | string>>;
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Computes the medians and ratio, writes bench/results/<name>.json and prints the summary line. */
export function recordFigure(input: FigureInput): BenchResult {
  if (input.runs.length < RUNS_MIN) throw new RangeError(`${input.name}: ${input.runs.length} runs, at least ${RUNS_MIN} needed for a median`);
  const value = round(median(input.runs.map((r) => r.value)), 1);
  const baselineValue = round(median(input.runs.map((r) => r.baseline)), 1);
  const ratio = round(value / baselineValue, 3);
  const runs = input.runs.map((r) => ({ ...r, value: round(r.value, 1), baseline: round(r.baseline, 1), ratio: round(r.value / r.baseline, 3) }));
  const result: BenchResult = {
    name: input.name,
    value,
    unit: input.unit,
    baseline: { name: input.baselineName, value: baselineValue },
    ratio,
    runRatioMedian: round(median(runs.map((r) => r.ratio)), 3),
    target: input.target,
    targetMet: ratio >= input.target,
    workload: input.workload,
    machine: machine(),
    runs,
    measuredAt: new Date().toISOString(),
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${input.name}.json`), `${JSON.stringify(result, null, 2)}\n`);
  console.log(formatResult(result));
  return result;
}

export function formatResult(r: BenchResult): string {
  const n = (v: number): string => v.toLocaleString('en-US', { maximumFractionDigits: 1 });
  return `${r.name}: ${n(r.value)} ${r.unit} (baseline ${r.baseline.name}: ${n(r.baseline.value)}, ratio ${r.ratio}x (per-run median ${r.runRatioMedian}x), target ${r.target}x${r.targetMet ? '' : ' NOT MET'})`;
}
