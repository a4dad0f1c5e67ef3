/**
 * Benchmark input made once per run of a benchmark: a file of newline-separated fixed-size
 * values for `kcat -P -l`, and the same values as Buffers for kafkajs.
 */
import { openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';

/** Lines are written in chunks of this many bytes: few syscalls, bounded memory. */
const WRITE_CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * The value of record `index`: its zero-padded index, then filler, exactly `valueBytes` long.
 * Distinct values keep a broker from benefiting from identical payloads.
 */
export function recordValue(index: number, valueBytes: number): Buffer {
  const head = String(index).padStart(12, '0');
  if (head.length > valueBytes) throw new RangeError(`valueBytes ${valueBytes} cannot hold index ${index}`);
  return Buffer.from(head + 'x'.repeat(valueBytes - head.length), 'latin1');
}

/** Writes `count` lines of `valueBytes` bytes each (plus '\n') to `<dir>/<name>` and returns its path. */
export function writeRecordFile(dir: string, name: string, count: number, valueBytes: number): string {
  const path = join(dir, name);
  const lineBytes = valueBytes + 1;
  const linesPerChunk = Math.max(1, Math.floor(WRITE_CHUNK_BYTES / lineBytes));
  const chunk = Buffer.alloc(linesPerChunk * lineBytes);
  const fd = openSync(path, 'w');
  try {
    for (let start = 0; start < count; start += linesPerChunk) {
      const lines = Math.min(linesPerChunk, count - start);
      for (let i = 0; i < lines; i++) {
        const at = i * lineBytes;
        recordValue(start + i, valueBytes).copy(chunk, at);
        chunk[at + valueBytes] = 0x0a;
      }
      writeSync(fd, chunk, 0, lines * lineBytes);
    }
  } finally {
    closeSync(fd);
  }
  return path;
}
