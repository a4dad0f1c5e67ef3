import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { PRODUCER_IDS_FILE, ProducerIdAllocator } from './producer-ids.ts';
import { CoordinatorStateError } from './errors.ts';
import { tempDir } from './test-support.ts';

test('producer ids are unique and issued ones are recognised', (t) => {
  const dir = tempDir(t);
  const ids = ProducerIdAllocator.open(dir, { blockSize: 3 });
  assert.equal(ids.isIssued(0), false);
  const got = Array.from({ length: 7 }, () => ids.allocate());
  assert.deepEqual(got, [0, 1, 2, 3, 4, 5, 6]);
  assert.equal(ids.isIssued(6), true);
  assert.equal(ids.isIssued(7), false);
  assert.equal(ids.isIssued(-1), false);
  assert.equal(ids.isIssued(1.5), false);
});

test('producer ids are never reused after a restart', (t) => {
  const dir = tempDir(t);
  const first = ProducerIdAllocator.open(dir, { blockSize: 10 });
  first.allocate();
  first.allocate();
  const second = ProducerIdAllocator.open(dir, { blockSize: 10 });
  // Everything reserved by the first run counts as issued; the second run starts after it.
  assert.equal(second.isIssued(1), true);
  assert.equal(second.isIssued(9), true);
  assert.equal(second.allocate(), 10);
  const third = ProducerIdAllocator.open(dir, { blockSize: 10 });
  assert.equal(third.allocate(), 20);
});

test('producer ids persist the high-water mark atomically, leaving no temp file', (t) => {
  const dir = tempDir(t);
  ProducerIdAllocator.open(dir, { blockSize: 5 }).allocate();
  assert.deepEqual(fs.readdirSync(dir), [PRODUCER_IDS_FILE]);
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, PRODUCER_IDS_FILE), 'utf8')), { version: 1, reservedUpTo: 5 });
});

test('producer ids refuse to start over a corrupt high-water file', (t) => {
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, PRODUCER_IDS_FILE), '{"reservedUpTo": -4}');
  assert.throws(() => ProducerIdAllocator.open(dir), (err: unknown) => err instanceof CoordinatorStateError && err.code === 'producer_ids_corrupt');
  fs.writeFileSync(path.join(dir, PRODUCER_IDS_FILE), '{"reserv');
  assert.throws(() => ProducerIdAllocator.open(dir), (err: unknown) => err instanceof CoordinatorStateError && err.code === 'producer_ids_corrupt');
});
