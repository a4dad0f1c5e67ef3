import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Journal, loadJournal, writeFileAtomic } from './durable.ts';
import { CoordinatorStateError } from './errors.ts';
import { JOURNAL_LINE_BYTES_MAX } from './limits.ts';
import { tempDir } from './test-support.ts';

test('journal reads back what was appended after a rewrite', (t) => {
  const file = path.join(tempDir(t), 'j.log');
  const journal = Journal.rewrite(file, [{ a: 1 }]);
  journal.append({ b: 'x' });
  journal.append({ c: [1, 2] });
  journal.close();
  assert.deepEqual(loadJournal(file), [{ a: 1 }, { b: 'x' }, { c: [1, 2] }]);
  assert.equal(journal.sizeBytes(), fs.statSync(file).size);
});

test('journal of a missing file is empty', (t) => {
  assert.deepEqual(loadJournal(path.join(tempDir(t), 'none.log')), []);
});

test('journal ignores a torn last line', (t) => {
  const file = path.join(tempDir(t), 'j.log');
  const journal = Journal.rewrite(file, [{ a: 1 }, { a: 2 }]);
  journal.close();
  fs.appendFileSync(file, '0badc0de {"a":');
  assert.deepEqual(loadJournal(file), [{ a: 1 }, { a: 2 }]);
  // A complete last line whose checksum fails is also a torn append.
  fs.appendFileSync(file, '3}\n');
  assert.deepEqual(loadJournal(file), [{ a: 1 }, { a: 2 }]);
});

test('journal refuses a corrupt line before the last', (t) => {
  const file = path.join(tempDir(t), 'j.log');
  Journal.rewrite(file, [{ a: 1 }, { a: 2 }]).close();
  const text = fs.readFileSync(file, 'utf8').replace('{"a":1}', '{"a":7}');
  fs.writeFileSync(file, text);
  assert.throws(() => loadJournal(file), (err: unknown) => err instanceof CoordinatorStateError && err.code === 'journal_corrupt');
});

test('journal rejects a record longer than the line limit', (t) => {
  const file = path.join(tempDir(t), 'j.log');
  const journal = Journal.rewrite(file, []);
  t.after(() => journal.close());
  assert.throws(
    () => journal.append({ big: 'x'.repeat(JOURNAL_LINE_BYTES_MAX) }),
    (err: unknown) => err instanceof CoordinatorStateError && err.code === 'journal_line_too_large',
  );
  assert.deepEqual(loadJournal(file), []);
});

test('atomic write replaces the whole file and leaves no temp file', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'f.json');
  writeFileAtomic(file, 'one');
  writeFileAtomic(file, 'two');
  assert.equal(fs.readFileSync(file, 'utf8'), 'two');
  assert.deepEqual(fs.readdirSync(dir), ['f.json']);
});

test('journal rewrite creates a missing directory', (t) => {
  const file = path.join(tempDir(t), 'nested', 'dir', 'j.log');
  const journal = Journal.rewrite(file, [{ a: 1 }]);
  journal.close();
  assert.deepEqual(loadJournal(file), [{ a: 1 }]);
});
