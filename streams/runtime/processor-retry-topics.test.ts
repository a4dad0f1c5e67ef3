import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { createKafka } from '../../lib/kafka.ts';
import { createLogger } from '../../lib/logger.ts';
import { PaystreamError } from '../../lib/errors.ts';
import { Scope, connectedAdmin, connectedProducer, consumeCount, newKafka, startTestBroker, uniqueName } from '../../test/helpers/kafkajs.ts';
import { DLQ_HEADERS, RETRY_HEADERS } from './headers.ts';
import { createProcessor, retryTopicNames, type Processor } from './processor.ts';
import { parseTraceparent } from './traceparent.ts';
import { wireBytes, wireCodec } from './testing/wire-codec.ts';
import type { Handler } from './types.ts';

interface Payment {
  n: number;
  /** Fail transiently until this much time has passed since the first try (ms). */
  outageMs?: number;
  /** Fail transiently every time. */
  forever?: boolean;
}

const SCHEMA_ID = 7;
const INCOMING_TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const DELAYS_MS = [300, 600];
const logger = createLogger({ level: 'silent' });
const codec = wireCodec<Payment>(new Set([SCHEMA_ID]), () => SCHEMA_ID);

function processor(bootstrap: string, name: string, input: string, handler: Handler<Payment, Payment>, registry = new Registry()): Processor {
  return createProcessor<Payment, Payment>({
    name,
    kafka: createKafka({ brokers: [bootstrap], clientId: name, logger }),
    topics: [input],
    handler,
    decoder: codec,
    encoder: codec,
    logger,
    registry,
    group: { sessionTimeoutMs: 6_000, rebalanceTimeoutMs: 5_000, heartbeatIntervalMs: 300, maxWaitTimeMs: 100 },
    backoff: { initialMs: 5, maxMs: 10, factor: 2 },
    attemptsMax: 2,
    retryTopics: { delaysMs: DELAYS_MS },
  });
}

test('a record failing past the in-place retries waits on the retry topics and succeeds from there exactly once; other keys are not held; one failing forever is dead-lettered with its retry history', { timeout: 60_000 }, async (t) => {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope, { groupInitialRebalanceDelayMs: 0 });
  const kafka = newKafka(bootstrap);
  const name = uniqueName('retry-test');
  const input = uniqueName('payments');
  const output = uniqueName('payments-out');
  const tiers = retryTopicNames(name, DELAYS_MS.length);
  const admin = await connectedAdmin(scope, kafka);
  await admin.createTopics({ topics: [input, output, `${input}.dlq`, ...tiers].map((topic) => ({ topic, numPartitions: 1 })) });

  const firstTry = new Map<number, number>();
  const tries = new Map<number, Array<{ topic: string; offset: string; partition: number; traceId: string | undefined }>>();
  const handled = new Map<number, number>();
  const handler: Handler<Payment, Payment> = async (record) => {
    const n = record.value.n;
    const now = Date.now();
    if (!firstTry.has(n)) firstTry.set(n, now);
    tries.set(n, [...(tries.get(n) ?? []), { topic: record.topic, offset: record.offset, partition: record.partition, traceId: parseTraceparent(record.traceparent)?.traceId }]);
    if (record.value.forever === true) throw new PaystreamError('bank_down', `payment ${n}: still down`, { retriable: true });
    if (record.value.outageMs !== undefined && now - (firstTry.get(n) ?? now) < record.value.outageMs) throw new PaystreamError('bank_down', `payment ${n}: down for a while`, { retriable: true });
    handled.set(n, now);
    return [{ topic: output, key: record.key, value: { n: n * 10 } }];
  };
  const registry = new Registry();
  const p = processor(bootstrap, name, input, handler, registry);
  scope.defer('stop processor', () => p.stop());
  await p.start();

  const producer = await connectedProducer(scope, kafka);
  await producer.send({
    topic: input,
    acks: -1,
    messages: [
      { key: 'pay-1', value: wireBytes(SCHEMA_ID, { n: 1, outageMs: 250 }), headers: { traceparent: INCOMING_TRACEPARENT } },
      { key: 'pay-2', value: wireBytes(SCHEMA_ID, { n: 2 }) },
      { key: 'pay-3', value: wireBytes(SCHEMA_ID, { n: 3, forever: true }) },
      { key: 'pay-4', value: wireBytes(SCHEMA_ID, { n: 4 }) },
    ],
  });

  const outputs = await consumeCount(scope, kafka, output, 3, {}, 30_000);
  assert.deepEqual(outputs.map((m) => m.key).sort(), ['pay-1', 'pay-2', 'pay-4'], 'each record that recovered produced exactly once');
  // The record behind the failing ones was not held back by their waits.
  assert.ok((handled.get(4) ?? Infinity) < (handled.get(1) ?? 0), 'pay-4 was handled while pay-1 waited on the retry topic');
  const one = tries.get(1) ?? [];
  assert.deepEqual(new Set(one.map((x) => x.topic)), new Set([input]), 'the handler sees the original topic on a retry');
  assert.ok(one.every((x) => x.offset === '0' && x.partition === 0), 'and the original position');
  assert.ok(one.every((x) => x.traceId === parseTraceparent(INCOMING_TRACEPARENT)?.traceId), 'and the original trace');
  assert.ok((handled.get(1) ?? 0) - (firstTry.get(1) ?? 0) >= (DELAYS_MS[0] ?? 0), 'the retry waited its delay');

  const dead = await consumeCount(scope, kafka, `${input}.dlq`, 1, {}, 30_000);
  const letter = dead[0];
  assert.equal(letter?.key, 'pay-3');
  assert.equal(letter?.headers[DLQ_HEADERS.sourceTopic], input);
  assert.equal(letter?.headers[DLQ_HEADERS.sourceOffset], '2');
  assert.equal(letter?.headers[DLQ_HEADERS.errorCode], 'bank_down');
  assert.equal(letter?.headers[DLQ_HEADERS.delayedRetries], String(DELAYS_MS.length), 'it waited on every retry topic first');
  assert.equal(letter?.headers[RETRY_HEADERS.count], String(DELAYS_MS.length));
  assert.equal((tries.get(3) ?? []).length, 2 * (1 + DELAYS_MS.length), 'two in-place attempts per stage');

  const parked = await consumeCount(scope, kafka, tiers[0] ?? '', 2, {}, 30_000);
  assert.deepEqual(parked.map((m) => m.key).sort(), ['pay-1', 'pay-3']);
  assert.ok(parked.every((m) => Number(m.headers[RETRY_HEADERS.notBeforeMs]) > 0 && m.headers[RETRY_HEADERS.sourceTopic] === input));

  const text = await registry.metrics();
  const value = (metric: string): number => Number(new RegExp(`^${metric}\\{processor="${name}"\\} (\\d+)`, 'm').exec(text)?.[1]);
  assert.equal(value('paystream_processor_records_retried_later_total'), 3, 'pay-1 once, pay-3 on both tiers');
  assert.equal(value('paystream_processor_records_dead_lettered_total'), 1);
});

test('a processor stopped while a record waits on a retry topic, and started again, handles it exactly once', { timeout: 60_000 }, async (t) => {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope, { groupInitialRebalanceDelayMs: 0 });
  const kafka = newKafka(bootstrap);
  const name = uniqueName('retry-restart');
  const input = uniqueName('payments');
  const output = uniqueName('payments-out');
  const tiers = retryTopicNames(name, DELAYS_MS.length);
  const admin = await connectedAdmin(scope, kafka);
  await admin.createTopics({ topics: [input, output, `${input}.dlq`, ...tiers].map((topic) => ({ topic, numPartitions: 1 })) });
  let firstTryMs: number | undefined;
  const succeeded: number[] = [];
  const handler: Handler<Payment, Payment> = async (record) => {
    firstTryMs ??= Date.now();
    if (Date.now() - firstTryMs < 400) throw new PaystreamError('bank_down', 'down', { retriable: true });
    succeeded.push(record.value.n);
    return [{ topic: output, key: record.key, value: { n: record.value.n } }];
  };
  const first = processor(bootstrap, name, input, handler);
  await first.start();
  const producer = await connectedProducer(scope, kafka);
  await producer.send({ topic: input, acks: -1, messages: [{ key: 'pay-9', value: wireBytes(SCHEMA_ID, { n: 9 }) }] });
  // Parked on the first retry topic, then the instance goes away before it is due.
  await consumeCount(scope, kafka, tiers[0] ?? '', 1, {}, 30_000);
  await first.stop();
  const second = processor(bootstrap, name, input, handler);
  scope.defer('stop second', () => second.stop());
  await second.start();
  const outputs = await consumeCount(scope, kafka, output, 1, {}, 30_000);
  assert.deepEqual(outputs.map((m) => m.key), ['pay-9']);
  assert.deepEqual(succeeded, [9], 'handled successfully once: the retry topic offset commits with the output');
  // Absence needs a bound: a second output would be committed well within two seconds.
  await assert.rejects(consumeCount(scope, kafka, output, 2, {}, 2_000), 'no second output');
});
