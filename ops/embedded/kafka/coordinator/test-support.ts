/** Helpers shared by the coordinator tests: headers, a fake clock, temp dirs, a seeded PRNG. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BatchHeader } from '../contracts.ts';
import type { Clock } from './types.ts';

/** A data batch header with overridable fields (defaults: non-idempotent, one record). */
export function header(fields: Partial<BatchHeader> = {}): BatchHeader {
  return {
    baseOffset: 0,
    batchLength: 100,
    partitionLeaderEpoch: 0,
    magic: 2,
    crc: 0,
    attributes: 0,
    lastOffsetDelta: 0,
    baseTimestamp: 0,
    maxTimestamp: 0,
    producerId: -1,
    producerEpoch: -1,
    baseSequence: -1,
    recordCount: 1,
    isTransactional: false,
    isControl: false,
    ...fields,
  };
}

/** The header of a COMMIT or ABORT marker as the broker writes it (spec §3). */
export function marker(producerId: number, producerEpoch: number, baseOffset: number, commit: boolean): BatchHeader {
  return header({
    baseOffset,
    attributes: 0x30,
    producerId,
    producerEpoch,
    isTransactional: true,
    isControl: true,
    controlType: commit ? 'commit' : 'abort',
  });
}

export class FakeClock implements Clock {
  constructor(public now = 1_000_000) {}
  nowMs(): number {
    return this.now;
  }
  advance(ms: number): number {
    this.now += ms;
    return this.now;
  }
}

export function tempDir(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coordinator-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** mulberry32: a tiny seeded PRNG so property tests replay exactly from their seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
