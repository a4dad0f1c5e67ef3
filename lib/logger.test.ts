import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger, LazyChildLogger } from './logger.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, destination };
}

test('logger redacts authorization headers, secrets, signatures and card data at any depth', () => {
  const { lines, destination } = capture();
  const log = createLogger({ level: 'info', destination });
  log.info(
    {
      req: { headers: { authorization: 'Bearer abc', 'x-paystream-signature': 'v1=deadbeef', host: 'api' } },
      merchant: { secret: 's3cr3t', webhookSecret: 'w', name: 'Shop' },
      card: { cardNumber: '4111111111111111', cvv: '123', expiry: '12/30', brand: 'visa' },
      password: 'top',
      paymentId: 'pay_1',
    },
    'request',
  );
  const text = JSON.stringify(lines);
  for (const leaked of ['Bearer abc', 'deadbeef', 's3cr3t', '4111111111111111', '"123"', '12/30', '"top"']) {
    assert.ok(!text.includes(leaked), `leaked ${leaked}`);
  }
  const entry = lines[0] as { req: { headers: Record<string, string> }; merchant: Record<string, string>; card: Record<string, string>; paymentId: string };
  assert.equal(entry.req.headers.authorization, '[redacted]');
  assert.equal(entry.req.headers['x-paystream-signature'], '[redacted]');
  assert.equal(entry.req.headers.host, 'api');
  assert.equal(entry.merchant.name, 'Shop');
  assert.equal(entry.card.brand, 'visa');
  assert.equal(entry.paymentId, 'pay_1');
});

test('logger honours the configured level', () => {
  const { lines, destination } = capture();
  const log = createLogger({ level: 'warn', destination });
  log.info('hidden');
  log.warn('shown');
  assert.deepEqual(lines.map((l) => l.msg), ['shown']);
});

test('a lazy child logs with its bindings, redacted, and builds nothing until a line is written', () => {
  const { lines, destination } = capture();
  const parent = createLogger({ level: 'info', destination });
  let built = 0;
  const counting = Object.create(parent) as typeof parent;
  counting.child = (bindings, options) => {
    built += 1;
    return parent.child(bindings, options);
  };
  const lazy = new LazyChildLogger(counting, { reqId: 'req_1', secret: 'hidden' });
  lazy.debug('below the level');
  assert.equal(built, 0);
  assert.equal(lazy.level, 'info');
  lazy.info({ paymentId: 'pay_1' }, 'accepted');
  lazy.warn('again');
  assert.equal(built, 1);
  assert.deepEqual(
    lines.map((l) => [l.msg, l.reqId, l.paymentId, l.secret]),
    [
      ['accepted', 'req_1', 'pay_1', '[redacted]'],
      ['again', 'req_1', undefined, '[redacted]'],
    ],
  );
  const grandchild = lazy.child({ step: 'produce' });
  grandchild.info('nested');
  assert.equal(lines.at(-1)?.reqId, 'req_1');
  assert.equal(lines.at(-1)?.step, 'produce');
});

test('a lazy child with its own level honours it', () => {
  const { lines, destination } = capture();
  const lazy = new LazyChildLogger(createLogger({ level: 'info', destination }), { reqId: 'req_2' }, { level: 'warn' });
  lazy.info('hidden');
  lazy.error('shown');
  assert.deepEqual(lines.map((l) => l.msg), ['shown']);
  assert.equal(lazy.level, 'warn');
});
