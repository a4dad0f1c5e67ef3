/** Splitting statement files into fields; the layouts here have no quoting. */
import type { RejectedStatementLine } from './types.ts';

export interface RawLine {
  lineNumber: number;
  raw: string;
  fields: string[];
}

/** Non-empty lines split on `delimiter`, with 1-based line numbers. */
export function splitLines(content: string, delimiter: string): RawLine[] {
  const out: RawLine[] = [];
  content.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() === '') return;
    out.push({ lineNumber: i + 1, raw, fields: raw.split(delimiter) });
  });
  return out;
}

/** Wall-clock `YYYY-MM-DD HH:MM:SS` in a fixed UTC offset → epoch ms, or undefined. */
export function parseLocalDateTime(text: string, offsetMinutes: number): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(text);
  if (m === null) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  return Number.isNaN(ms) ? undefined : ms - offsetMinutes * 60_000;
}

/** Strict ISO-8601 UTC instant (`...Z`) → epoch ms, or undefined. */
export function parseIsoUtc(text: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

export class LineError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'LineError';
  }
}

/** Runs `parse` per line; a LineError puts the line in `rejected` with its reason. */
export function parseEach<T>(lines: RawLine[], parse: (line: RawLine) => T): { lines: T[]; rejected: RejectedStatementLine[] } {
  const parsed: T[] = [];
  const rejected: RejectedStatementLine[] = [];
  for (const line of lines) {
    try {
      parsed.push(parse(line));
    } catch (err) {
      if (!(err instanceof LineError)) throw err;
      rejected.push({ lineNumber: line.lineNumber, raw: line.raw, reason: err.message });
    }
  }
  return { lines: parsed, rejected };
}

/** paymentId from an attempt id `paymentId:attempt`. */
export function paymentIdOf(attemptId: string): string | null {
  const at = attemptId.lastIndexOf(':');
  return at > 0 ? attemptId.slice(0, at) : null;
}
