import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PaystreamError } from '../../lib/errors.ts';
import { Secret } from '../../lib/secret.ts';
import { resolveMasterKey, MASTER_KEY_FILE } from './master-key.ts';
import { open, seal } from './secret-box.ts';

const key = () => new Secret(randomBytes(32).toString('hex'));

test('a sealed secret opens under the same master key and key id only', () => {
  const master = key();
  const sealed = seal(master, 'sk_top_secret', 'pk_1');
  assert.ok(!sealed.ciphertext.toString('utf8').includes('top_secret'));
  assert.equal(open(master, sealed, 'pk_1'), 'sk_top_secret');
  assert.throws(() => open(key(), sealed, 'pk_1'), (err: unknown) => err instanceof PaystreamError && err.code === 'secret_undecryptable');
  assert.throws(() => open(master, sealed, 'pk_2'), (err: unknown) => err instanceof PaystreamError && err.code === 'secret_undecryptable');
  const flipped = Buffer.from(sealed.ciphertext);
  flipped[0] = (flipped[0] ?? 0) ^ 1;
  assert.throws(() => open(master, { ...sealed, ciphertext: flipped }, 'pk_1'), PaystreamError);
});

test('two seals of one secret differ (fresh IV each time)', () => {
  const master = key();
  assert.notDeepEqual(seal(master, 's', 'k').ciphertext, seal(master, 's', 'k').ciphertext);
});

test('without PAYSTREAM_MASTER_KEY a master key is generated once and kept in the data dir', () => {
  const dir = mkdtempSync(join(tmpdir(), 'master-key-'));
  try {
    const first = resolveMasterKey({ masterKey: undefined }, dir);
    const second = resolveMasterKey({ masterKey: undefined }, dir);
    assert.equal(first.reveal(), second.reveal());
    assert.match(first.reveal(), /^[0-9a-f]{64}$/);
    assert.equal(statSync(join(dir, MASTER_KEY_FILE)).mode & 0o777, 0o600);
    assert.equal(readFileSync(join(dir, MASTER_KEY_FILE), 'utf8').trim(), first.reveal());
    const configured = key();
    assert.equal(resolveMasterKey({ masterKey: configured }, dir), configured);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
