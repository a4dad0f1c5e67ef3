import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from './logger.ts';
import { createShutdown } from './shutdown.ts';

const logger = createLogger({ level: 'silent' });

test('shutdown runs closers once, in reverse order of registration', async () => {
  const order: string[] = [];
  const shutdown = createShutdown({ graceMs: 1000, logger });
  shutdown.add('db', () => void order.push('db'));
  shutdown.add('consumer', async () => void order.push('consumer'));
  const [a, b] = await Promise.all([shutdown.run('test'), shutdown.run('again')]);
  assert.equal(a, true);
  assert.equal(b, true);
  assert.deepEqual(order, ['consumer', 'db']);
});

test('shutdown reports a failing closer and still runs the others', async () => {
  const order: string[] = [];
  const shutdown = createShutdown({ graceMs: 1000, logger });
  shutdown.add('first', () => void order.push('first'));
  shutdown.add('broken', () => {
    throw new Error('boom');
  });
  assert.equal(await shutdown.run('test'), false);
  assert.deepEqual(order, ['first']);
});

test('shutdown gives up when the grace time runs out', async () => {
  const shutdown = createShutdown({ graceMs: 50, logger });
  shutdown.add('hung', () => new Promise<void>(() => undefined));
  assert.equal(await shutdown.run('test'), false);
});
