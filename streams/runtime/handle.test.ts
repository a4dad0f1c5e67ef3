import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KafkaMessage } from '../../lib/kafka.ts';
import { createLogger } from '../../lib/logger.ts';
import { PaystreamError } from '../../lib/errors.ts';
import { handleRecord, type HandleDeps, type Outcome } from './handle.ts';
import { DLQ_HEADERS } from './headers.ts';
import { OUTPUTS_PER_RECORD_MAX } from './limits.ts';
import { wireBytes, wireCodec } from './testing/wire-codec.ts';
import type { Handler } from './types.ts';

interface Value {
  n: number;
}

function message(value: Buffer | null, headers: KafkaMessage['headers'] = {}): KafkaMessage {
  return { key: Buffer.from('pay-1'), value, headers, offset: '12', timestamp: '0', attributes: 0 } as KafkaMessage;
}

function deps(handler: Handler<Value, Value>, sleeps: number[] = []): HandleDeps<Value, Value> {
  const codec = wireCodec<Value>(new Set([1]), () => 1);
  return {
    processor: 'router',
    handler,
    decoder: codec,
    encoder: codec,
    logger: createLogger({ level: 'silent' }),
    dlqTopic: (topic) => `${topic}.dlq`,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    nowMs: () => 1_000,
    attemptsMax: 4,
    backoff: { initialMs: 10, maxMs: 25, factor: 2 },
    random: () => 0.999999,
  };
}

const echo: Handler<Value, Value> = async (r) => [{ topic: 'out', key: r.key, value: { n: r.value.n + 1 } }];

function dead(outcome: Outcome): Extract<Outcome, { kind: 'dead-lettered' }> {
  assert.equal(outcome.kind, 'dead-lettered');
  return outcome as Extract<Outcome, { kind: 'dead-lettered' }>;
}

test('a handled record yields its encoded outputs with this hop on their headers', async () => {
  const outcome = await handleRecord(deps(echo), { topic: 'in', partition: 0, message: message(wireBytes(1, { n: 1 })) });
  assert.equal(outcome.kind, 'produced');
  if (outcome.kind !== 'produced') return;
  assert.equal(outcome.attempts, 1);
  assert.equal(outcome.outputs.length, 1);
  const [out] = outcome.outputs;
  assert.equal(out?.topic, 'out');
  assert.deepEqual(out?.message.value, wireBytes(1, { n: 2 }));
  assert.match(String(out?.message.headers?.traceparent), /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
});

test('the handler sees the key, string headers, offset and the traceparent it will emit', async () => {
  let seen: unknown;
  const handler: Handler<Value, Value> = async (r) => {
    seen = { key: r.key, headers: r.headers, offset: r.offset, traceparent: r.traceparent };
    return [{ topic: 'out', key: r.key, value: r.value }];
  };
  const outcome = await handleRecord(deps(handler), { topic: 'in', partition: 0, message: message(wireBytes(1, { n: 1 }), { h: Buffer.from('v') }) });
  const tp = outcome.kind === 'produced' ? outcome.outputs[0]?.message.headers?.traceparent : undefined;
  assert.deepEqual(seen, { key: 'pay-1', headers: { h: 'v' }, offset: '12', traceparent: tp });
});

test('a transient failure retries in place with growing delays and succeeds on the third attempt', async () => {
  const sleeps: number[] = [];
  const handler: Handler<Value, Value> = async (r, { attempt }) => {
    if (attempt < 3) throw new PaystreamError('channel_unavailable', 'later', { retriable: true });
    return echo(r, { attempt, log: createLogger({ level: 'silent' }) });
  };
  const outcome = await handleRecord(deps(handler, sleeps), { topic: 'in', partition: 0, message: message(wireBytes(1, { n: 1 })) });
  assert.equal(outcome.kind, 'produced');
  assert.equal(outcome.attempts, 3);
  assert.deepEqual(sleeps, [10, 20]);
});

test('a transient failure that outlasts the budget is dead-lettered after every attempt', async () => {
  const sleeps: number[] = [];
  const handler: Handler<Value, Value> = async () => {
    throw new PaystreamError('channel_unavailable', 'down', { retriable: true });
  };
  const outcome = dead(await handleRecord(deps(handler, sleeps), { topic: 'in', partition: 3, message: message(wireBytes(1, { n: 1 })) }));
  assert.equal(outcome.attempts, 4);
  assert.deepEqual(sleeps, [10, 20, 25]);
  assert.equal(outcome.deadLetter.message.headers?.[DLQ_HEADERS.attempts], '4');
  assert.equal(outcome.deadLetter.message.headers?.[DLQ_HEADERS.errorCode], 'channel_unavailable');
});

test('a non-retriable failure is dead-lettered at once with the original bytes and where it came from', async () => {
  const handler: Handler<Value, Value> = async () => {
    throw new PaystreamError('payment_invalid', 'no amount');
  };
  const value = wireBytes(1, { n: 1 });
  const outcome = dead(await handleRecord(deps(handler), { topic: 'in', partition: 3, message: message(value, { a: Buffer.from('b') }) }));
  assert.equal(outcome.attempts, 1);
  assert.equal(outcome.deadLetter.topic, 'in.dlq');
  assert.deepEqual(outcome.deadLetter.message.key, Buffer.from('pay-1'));
  assert.deepEqual(outcome.deadLetter.message.value, value);
  const h = outcome.deadLetter.message.headers ?? {};
  assert.deepEqual(h.a, Buffer.from('b'));
  assert.deepEqual(
    [h[DLQ_HEADERS.errorCode], h[DLQ_HEADERS.errorMessage], h[DLQ_HEADERS.processor], h[DLQ_HEADERS.sourceTopic], h[DLQ_HEADERS.sourcePartition], h[DLQ_HEADERS.sourceOffset], h[DLQ_HEADERS.failedAtMs]],
    ['payment_invalid', 'no amount', 'router', 'in', '3', '12', '1000'],
  );
});

test('undecodable values are dead-lettered without calling the handler', async () => {
  let calls = 0;
  const counting: Handler<Value, Value> = async (r, c) => {
    calls += 1;
    return echo(r, c);
  };
  const cases: Array<[Buffer | null, string]> = [
    [wireBytes(1, { n: 1 }, 3), 'bad_magic'],
    [wireBytes(2, { n: 1 }), 'schema_unknown'],
    [Buffer.from([0, 0]), 'malformed'],
    [Buffer.concat([wireBytes(1, 0).subarray(0, 5), Buffer.from('{')]), 'malformed'],
    [null, 'value_missing'],
  ];
  for (const [bytes, code] of cases) {
    const outcome = dead(await handleRecord(deps(counting), { topic: 'in', partition: 0, message: message(bytes) }));
    assert.equal(outcome.failure.code, code);
    assert.equal(outcome.attempts, 1);
  }
  assert.equal(calls, 0);
});

test('an error without a code is a bug: dead-lettered as unexpected_error, never retried', async () => {
  const sleeps: number[] = [];
  const buggy: Handler<Value, Value> = async () => {
    throw new TypeError('x is undefined');
  };
  const outcome = dead(await handleRecord(deps(buggy, sleeps), { topic: 'in', partition: 0, message: message(wireBytes(1, { n: 1 })) }));
  assert.equal(outcome.failure.code, 'unexpected_error');
  assert.deepEqual(sleeps, []);
});

test('a handler returning too many outputs is dead-lettered', async () => {
  const flood: Handler<Value, Value> = async (r) => Array.from({ length: OUTPUTS_PER_RECORD_MAX + 1 }, () => ({ topic: 'out', key: r.key, value: r.value }));
  const outcome = dead(await handleRecord(deps(flood), { topic: 'in', partition: 0, message: message(wireBytes(1, { n: 1 })) }));
  assert.equal(outcome.failure.code, 'outputs_too_many');
});

test('a handler may return no outputs', async () => {
  const outcome = await handleRecord(deps(async () => []), { topic: 'in', partition: 0, message: message(wireBytes(1, { n: 1 })) });
  assert.deepEqual(outcome, { kind: 'produced', outputs: [], attempts: 1 });
});

test('every log line about a record carries its traceId, span ids and paymentId', async () => {
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(line) } });
  const handler: Handler<Value, Value> = async (r, { attempt, log }) => {
    log.info('handling');
    if (attempt < 2) throw new PaystreamError('channel_unavailable', 'later', { retriable: true });
    throw new PaystreamError('payment_invalid', 'no');
  };
  const incoming = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  await handleRecord({ ...deps(handler), logger, keyLogField: 'paymentId' }, { topic: 'in', partition: 0, message: message(wireBytes(1, { n: 1 }), { traceparent: Buffer.from(incoming) }) });
  const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(
    parsed.map((l) => l.msg),
    ['handling', 'transient failure; retrying in place', 'handling', 'record dead-lettered'],
  );
  for (const l of parsed) {
    assert.equal(l.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.equal(l.parentSpanId, '00f067aa0ba902b7');
    assert.match(String(l.spanId), /^[0-9a-f]{16}$/);
    assert.equal(l.paymentId, 'pay-1');
  }
});
