/**
 * The experiment bucket of a payment: FNV-1a over the UTF-8 of the id with a murmur3 finaliser
 * (FNV alone clusters on ids that differ only in their last characters). Stable across
 * processes and versions, so a payment handled again lands in the same arm.
 */
import { EXPERIMENT_BUCKETS } from './limits.ts';

const encoder = new TextEncoder();

export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of encoder.encode(text)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** 0 to EXPERIMENT_BUCKETS - 1. */
export function bucketOf(paymentId: string): number {
  return hash32(paymentId) % EXPERIMENT_BUCKETS;
}
