/**
 * spawnBroker's failure path: a broker that cannot start is reported with its output rather
 * than a bare timeout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnBroker } from './broker-process.ts';
import { tempDir } from './wait.ts';

test('spawnBroker reports the broker output when the broker exits before listening', async (t) => {
  const dir = tempDir('helpers-bad-broker', t);
  const err = await spawnBroker({ dataDir: dir.path, extraArgs: ['--default-partitions', 'not-a-number'] }).then(
    () => assert.fail('the broker started with a bad flag'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof Error);
  assert.match(err.message, /broker failed to start: broker exited before listening \(code=2/);
  assert.match(err.message, /--default-partitions/);
});
