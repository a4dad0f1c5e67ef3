/**
 * Positional reads of a segment file through a sliding buffer, so walking batch headers costs
 * one read(2) per chunk rather than one per batch.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';

/** Reads exactly `length` bytes at `position` (short reads are retried; EOF is a bug). */
export function readFully(fd: number, buf: Buffer, offset: number, length: number, position: number): void {
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, buf, offset + done, length - done, position + done);
    assert.ok(n > 0, `unexpected end of file reading ${length} bytes at ${position}`);
    done += n;
  }
}

/** Writes all of `buf` at `position`; write(2) may write less than asked, so loop. */
export function writeFully(fd: number, buf: Buffer, position: number): void {
  let done = 0;
  while (done < buf.length) {
    done += fs.writeSync(fd, buf, done, buf.length - done, position + done);
  }
}

export class FileWindow {
  private buf: Buffer = Buffer.alloc(0);
  /** File position of buf[0]. */
  private start = 0;

  constructor(
    private readonly fd: number,
    private readonly fileSize: number,
    private readonly preferredBytes: number,
  ) {}

  /**
   * Makes file bytes [pos, pos+n) available and returns the buffer and the index of `pos` in
   * it. A refill allocates a new buffer, so views handed out earlier stay valid.
   */
  at(pos: number, n: number): { buf: Buffer; at: number } {
    assert.ok(pos >= 0 && pos + n <= this.fileSize, `window read [${pos}, ${pos + n}) outside file of ${this.fileSize}`);
    if (pos >= this.start && pos + n <= this.start + this.buf.length) return { buf: this.buf, at: pos - this.start };
    const want = Math.min(Math.max(n, this.preferredBytes), this.fileSize - pos);
    const buf = Buffer.allocUnsafe(want);
    readFully(this.fd, buf, 0, want, pos);
    this.buf = buf;
    this.start = pos;
    return { buf, at: 0 };
  }

  /** Bytes [from, to) as one buffer: a view when already buffered, else a fresh read. */
  slice(from: number, to: number): Buffer {
    if (from >= this.start && to <= this.start + this.buf.length) return this.buf.subarray(from - this.start, to - this.start);
    const out = Buffer.allocUnsafe(to - from);
    readFully(this.fd, out, 0, to - from, from);
    return out;
  }
}
