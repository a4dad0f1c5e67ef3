/**
 * Producer id allocation. Ids are never reused, even across restarts: a reused id would let a
 * new producer inherit an old one's sequences and transactions. The file `producer-ids.json`
 * holds a high-water mark: every id below it may have been issued. Ids are reserved in blocks
 * so only one fsync'd write happens per PRODUCER_ID_BLOCK_SIZE allocations; a restart skips the
 * rest of the block.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from './durable.ts';
import { CoordinatorStateError } from './errors.ts';
import { PRODUCER_ID_BLOCK_SIZE, PRODUCER_ID_MAX } from './limits.ts';

export const PRODUCER_IDS_FILE = 'producer-ids.json';

interface HighWaterFile {
  version: 1;
  /** Every producer id below this may have been issued. */
  reservedUpTo: number;
}

function readHighWater(file: string): number {
  if (!fs.existsSync(file)) return 0;
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CoordinatorStateError('producer_ids_corrupt', file, 'is not valid JSON', err);
  }
  const hw = (parsed as Partial<HighWaterFile> | null)?.reservedUpTo;
  if (typeof hw !== 'number' || !Number.isSafeInteger(hw) || hw < 0) {
    throw new CoordinatorStateError('producer_ids_corrupt', file, 'has no valid reservedUpTo');
  }
  return hw;
}

export class ProducerIdAllocator {
  private next: number;
  private reservedUpTo: number;

  private constructor(
    private readonly file: string,
    highWater: number,
    private readonly blockSize: number,
  ) {
    // Ids in [0, highWater) belong to earlier runs: they count as issued, none is handed out again.
    this.next = highWater;
    this.reservedUpTo = highWater;
  }

  /** Opens (or starts) the allocator whose state lives in `dataDir`. */
  static open(dataDir: string, options: { blockSize?: number } = {}): ProducerIdAllocator {
    fs.mkdirSync(dataDir, { recursive: true });
    const file = path.join(dataDir, PRODUCER_IDS_FILE);
    return new ProducerIdAllocator(file, readHighWater(file), options.blockSize ?? PRODUCER_ID_BLOCK_SIZE);
  }

  /** A producer id never handed out before; durable before it is returned. */
  allocate(): number {
    if (this.next >= this.reservedUpTo) this.reserveBlock();
    const id = this.next;
    this.next += 1;
    return id;
  }

  /** Whether `producerId` was (or, from an earlier run, may have been) issued. */
  isIssued(producerId: number): boolean {
    return Number.isSafeInteger(producerId) && producerId >= 0 && producerId < this.next;
  }

  private reserveBlock(): void {
    const reservedUpTo = this.next + this.blockSize;
    if (reservedUpTo > PRODUCER_ID_MAX) {
      throw new CoordinatorStateError('producer_ids_exhausted', this.file, 'producer id space is exhausted');
    }
    const content: HighWaterFile = { version: 1, reservedUpTo };
    writeFileAtomic(this.file, `${JSON.stringify(content)}\n`);
    this.reservedUpTo = reservedUpTo;
  }
}
