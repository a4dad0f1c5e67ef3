/** Helpers shared by the log tests: temp dirs, a capturing logger, batches of known records. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import type { TopicConfig } from '../contracts.ts';
import { encodeBatch } from './records.ts';

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export interface CapturedLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** A pino logger whose lines land in `lines`, parsed. */
export function capturingLogger(): { logger: Logger; lines: CapturedLine[] } {
  const lines: CapturedLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as CapturedLine) });
  return { logger, lines };
}

export function topicConfig(overrides: Partial<TopicConfig> = {}): TopicConfig {
  return {
    partitions: 1,
    retentionMs: -1,
    retentionBytes: -1,
    cleanupPolicy: 'delete',
    segmentBytes: 1024 * 1024,
    deleteRetentionMs: 86_400_000,
    ...overrides,
  };
}

/** A batch of `count` records with values `${prefix}-${i}` and the given timestamp. */
export function valueBatch(prefix: string, count: number, timestamp = 1_700_000_000_000, valueBytes = 0): Buffer {
  return encodeBatch(
    Array.from({ length: count }, (_, i) => ({
      key: null,
      value: valueBytes > 0 ? Buffer.alloc(valueBytes, i % 251) : Buffer.from(`${prefix}-${i}`),
      timestamp,
    })),
  );
}
