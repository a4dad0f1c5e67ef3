/**
 * Durable small files for coordinator state: atomic whole-file replacement (tmp + fsync +
 * rename + directory fsync) and an append-only journal of CRC-checked JSON lines.
 *
 * Journal line: `<crc32c of the JSON bytes, 8 hex digits> <JSON>\n`. Each append is fsync'd
 * before the caller answers the client, so an acknowledged state change survives a crash.
 * Only the last line can be torn by a crash mid-append; it is ignored on load. A bad line
 * anywhere else is corruption and stops the start, because guessing would lose offsets or
 * resurrect transactions.
 */
import fs from 'node:fs';
import path from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { CoordinatorStateError } from './errors.ts';
import { JOURNAL_LINE_BYTES_MAX } from './limits.ts';

/** Replaces `file` with `data` so that a crash leaves either the old or the new content. */
export function writeFileAtomic(file: string, data: string): void {
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  fsyncDir(path.dirname(file));
}

function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function encodeLine(file: string, record: unknown): string {
  const json = JSON.stringify(record);
  const bytes = Buffer.byteLength(json);
  if (bytes + 10 > JOURNAL_LINE_BYTES_MAX) {
    throw new CoordinatorStateError('journal_line_too_large', file, `record of ${bytes} bytes exceeds ${JOURNAL_LINE_BYTES_MAX}`);
  }
  return `${crc32c(json).toString(16).padStart(8, '0')} ${json}\n`;
}

function decodeLine(line: string): unknown {
  if (line.length < 10 || line[8] !== ' ') return undefined;
  const crc = Number.parseInt(line.slice(0, 8), 16);
  const json = line.slice(9);
  if (!Number.isInteger(crc) || crc32c(json) !== crc) return undefined;
  return JSON.parse(json) as unknown;
}

/** Every intact record of a journal, in order; a missing file is an empty journal. */
export function loadJournal(file: string): unknown[] {
  if (!fs.existsSync(file)) return [];
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split('\n');
  // The piece after the last '\n' is a torn append (or '' when the file ends cleanly).
  lines.pop();
  const records: unknown[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const record = decodeLine(lines[i] ?? '');
    if (record !== undefined) {
      records.push(record);
      continue;
    }
    // A whole-but-garbled last line is also a torn append: its pages may reach disk out of order.
    if (i === lines.length - 1) break;
    throw new CoordinatorStateError('journal_corrupt', file, `line ${i + 1} fails its checksum`);
  }
  return records;
}

/** An open journal; create it with Journal.rewrite, which also compacts. */
export class Journal {
  private fd: number | undefined;
  private bytes: number;

  private constructor(
    readonly file: string,
    fd: number,
    bytes: number,
  ) {
    this.fd = fd;
    this.bytes = bytes;
  }

  /** Atomically replaces the journal with `records` (a compact snapshot) and opens it for appends. */
  static rewrite(file: string, records: readonly unknown[]): Journal {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const text = records.map((r) => encodeLine(file, r)).join('');
    writeFileAtomic(file, text);
    const fd = fs.openSync(file, 'a');
    return new Journal(file, fd, Buffer.byteLength(text));
  }

  /** Appends and fsyncs one record; returns once it is durable. */
  append(record: unknown): void {
    if (this.fd === undefined) throw new Error(`journal ${this.file} is closed`);
    const line = encodeLine(this.file, record);
    fs.writeSync(this.fd, line);
    fs.fsyncSync(this.fd);
    this.bytes += Buffer.byteLength(line);
  }

  /** Size of the file, so owners can compact once it outgrows their snapshot. */
  sizeBytes(): number {
    return this.bytes;
  }

  close(): void {
    if (this.fd === undefined) return;
    fs.closeSync(this.fd);
    this.fd = undefined;
  }
}
