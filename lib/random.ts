/**
 * Random hex ids from a pooled buffer. Every request needs a few (request id, trace and span ids,
 * lock tokens, one span per processed record), and one small `randomBytes` call per id costs a
 * trip into the OpenSSL generator each time; refilling one pool costs the same trip per POOL_BYTES. The
 * bytes are the same CSPRNG's: ids stay unguessable.
 */
import { randomFillSync } from 'node:crypto';

/** 4 KiB: about 200 request ids per refill. */
const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let offset = POOL_BYTES;

/** `bytes` random bytes as lower-case hex (2 × bytes characters); bytes at most POOL_BYTES. */
export function randomHex(bytes: number): string {
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > POOL_BYTES) throw new RangeError(`randomHex takes 1 to ${POOL_BYTES} bytes, not ${bytes}`);
  if (offset + bytes > POOL_BYTES) {
    randomFillSync(pool);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + bytes);
  // Used bytes are never handed out twice.
  offset += bytes;
  return hex;
}
