/**
 * The wait helpers' own behaviour: a deadline that passes names what was awaited and why.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { WaitTimeoutError, freePort, tempDir, waitFor, withTimeout } from './wait.ts';

test('waitFor returns the first value that is not false, null or undefined', async () => {
  let calls = 0;
  const value = await waitFor(() => (++calls >= 3 ? { calls } : undefined), { timeoutMs: 2_000, intervalMs: 1, message: 'three calls' });
  assert.deepEqual(value, { calls: 3 });
  assert.equal(await waitFor(() => 0, { timeoutMs: 100, message: 'zero counts as a value' }), 0);
});

test('waitFor names what it waited for and the last error once its deadline passes', async () => {
  const err = await waitFor(
    () => {
      throw new RangeError('still not ready');
    },
    { timeoutMs: 50, intervalMs: 5, message: () => 'the impossible' },
  ).then(
    () => assert.fail('waitFor resolved'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof WaitTimeoutError);
  assert.equal(err.code, 'wait_timeout');
  assert.match(err.message, /the impossible/);
  assert.match(err.message, /RangeError: still not ready/);
  assert.ok(err.cause instanceof RangeError);
});

test('withTimeout rejects a promise that does not settle in time', async () => {
  await assert.rejects(withTimeout(new Promise(() => undefined), 20, 'a promise that never settles'), WaitTimeoutError);
  assert.equal(await withTimeout(Promise.resolve(7), 1_000, 'a settled promise'), 7);
});

test('freePort gives a bindable port and tempDir removes its directory with its owner', async () => {
  const port = await freePort();
  assert.ok(port > 0 && port < 65536);
  const hooks: Array<() => unknown> = [];
  const dir = tempDir('helpers test/dir', { after: (fn) => hooks.push(fn) });
  fs.writeFileSync(`${dir.path}/file`, 'x');
  assert.ok(fs.existsSync(dir.path));
  for (const hook of hooks) await hook();
  assert.equal(fs.existsSync(dir.path), false);
  dir.remove();
});
