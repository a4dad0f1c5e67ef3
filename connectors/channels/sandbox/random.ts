/**
 * Seeded randomness so every sandbox run is reproducible: a stream generator for behaviour
 * (latency, declines, errors) and a keyed hash for choices that must not depend on call order
 * (statement discrepancies).
 */
import { createHash } from 'node:crypto';

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
}

/** mulberry32: tiny, fast, good enough for simulation (not for anything secret). */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return {
    next(): number {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/** Uniform in [0, 1), fixed by the seed and the parts. */
export function keyedUnit(seed: number, ...parts: string[]): number {
  const digest = createHash('sha256').update(`${seed}\u0000${parts.join('\u0000')}`).digest();
  return digest.readUInt32BE(0) / 4294967296;
}
