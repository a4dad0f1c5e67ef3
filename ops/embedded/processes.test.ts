import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { waitUntil } from '../../lib/wait.ts';
import { isAlive } from './processes.ts';

test('isAlive: a running process is alive; an exited one that nobody reaped yet (a zombie) is not', async () => {
  // The shell backgrounds a short sleep, prints its pid and becomes a long sleep that never reaps it.
  const parent = spawn('sh', ['-c', 'sleep 0.2 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const [line] = (await once(parent.stdout, 'data')) as [Buffer];
    const child = Number(line.toString().trim());
    assert.ok(Number.isInteger(child) && child > 0);
    assert.equal(isAlive(child), true);
    assert.equal(isAlive(parent.pid ?? -1), true);
    await waitUntil(() => (isAlive(child) ? undefined : true), { timeoutMs: 5_000, what: 'the exited child to count as dead' });
    // Still a process table entry: signal 0 reaches it, yet it is dead.
    assert.doesNotThrow(() => process.kill(child, 0));
    assert.equal(isAlive(parent.pid ?? -1), true);
  } finally {
    parent.kill('SIGKILL');
  }
  assert.equal(isAlive(2 ** 22 + 12_345), false);
});
