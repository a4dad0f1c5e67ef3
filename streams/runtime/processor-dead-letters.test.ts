import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { createKafka } from '../../lib/kafka.ts';
import { createLogger } from '../../lib/logger.ts';
import { PaystreamError } from '../../lib/errors.ts';
import { Scope, connectedAdmin, connectedProducer, consumeCount, newKafka, startTestBroker, uniqueName } from '../../test/helpers/kafkajs.ts';
import { DLQ_HEADERS } from './headers.ts';
import { createProcessor } from './processor.ts';
import { parseTraceparent } from './traceparent.ts';
import { wireBytes, wireCodec } from './testing/wire-codec.ts';
import type { Handler } from './types.ts';

interface Payment {
  n: number;
  fail?: 'fatal' | 'flaky';
}

const SCHEMA_ID = 7;
const INCOMING_TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

test('poison records land on the dead-letter topic with why and where, and the records after them are processed', async (t) => {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope, { groupInitialRebalanceDelayMs: 0 });
  const testKafka = newKafka(bootstrap);
  const input = uniqueName('payments');
  const output = uniqueName('payments-out');
  const admin = await connectedAdmin(scope, testKafka);
  await admin.createTopics({ topics: [input, output, `${input}.dlq`].map((topic) => ({ topic, numPartitions: 1 })) });

  const producer = await connectedProducer(scope, testKafka);
  const good = (n: number, fail?: Payment['fail']) => wireBytes(SCHEMA_ID, fail === undefined ? { n } : { n, fail });
  const records = [
    { key: 'pay-0', value: good(0), headers: { traceparent: INCOMING_TRACEPARENT, tracestate: 'vendor=1' } },
    { key: 'pay-1', value: wireBytes(SCHEMA_ID, { n: 1 }, 9), headers: { origin: 'upstream' } },
    { key: 'pay-2', value: good(2) },
    { key: 'pay-3', value: wireBytes(999, { n: 3 }) },
    { key: 'pay-4', value: good(4) },
    { key: 'pay-5', value: good(5, 'fatal') },
    { key: 'pay-6', value: good(6, 'flaky') },
    { key: 'pay-7', value: good(7) },
  ];
  await producer.send({ topic: input, messages: records, acks: -1 });

  const attemptsByOffset = new Map<string, number>();
  const handler: Handler<Payment, Payment> = async (record, { attempt }) => {
    attemptsByOffset.set(record.offset, attempt);
    if (record.value.fail === 'fatal') throw new PaystreamError('payment_invalid', `payment ${record.value.n} is not valid`);
    if (record.value.fail === 'flaky' && attempt < 3) throw new PaystreamError('channel_unavailable', 'try again', { retriable: true });
    return [{ topic: output, key: record.key, value: { n: record.value.n * 10 } }];
  };
  const registry = new Registry();
  const logger = createLogger({ level: 'silent' });
  const processor = createProcessor<Payment, Payment>({
    name: uniqueName('dlq-test'),
    kafka: createKafka({ brokers: [bootstrap], clientId: 'processor', logger }),
    topics: [input],
    handler,
    ...(() => {
      const codec = wireCodec<Payment>(new Set([SCHEMA_ID]), () => SCHEMA_ID);
      return { decoder: codec, encoder: codec };
    })(),
    logger,
    registry,
    group: { sessionTimeoutMs: 6_000, rebalanceTimeoutMs: 5_000, heartbeatIntervalMs: 300, maxWaitTimeMs: 200 },
    backoff: { initialMs: 5, maxMs: 20, factor: 2 },
  });
  scope.defer('stop processor', () => processor.stop());
  await processor.start();
  assert.equal(processor.state(), 'running');

  const outputs = await consumeCount(scope, testKafka, output, 5, {}, 30_000);
  assert.deepEqual(
    outputs.map((m) => [m.key, JSON.parse(m.value?.slice(5) ?? 'null')]),
    [0, 2, 4, 6, 7].map((n) => [`pay-${n}`, { n: n * 10 }]),
  );
  const first = outputs[0];
  assert.ok(first !== undefined);
  const hop = parseTraceparent(first.headers.traceparent);
  const incoming = parseTraceparent(INCOMING_TRACEPARENT);
  assert.equal(hop?.traceId, incoming?.traceId, 'the trace continues');
  assert.notEqual(hop?.spanId, incoming?.spanId, 'with a new span');
  assert.equal(first.headers.tracestate, 'vendor=1');
  for (const m of outputs.slice(1)) assert.ok(parseTraceparent(m.headers.traceparent) !== undefined, `a record without traceparent starts a trace (${m.key})`);
  assert.equal(attemptsByOffset.get('6'), 3, 'the flaky record succeeded on its third attempt');

  const dead = await consumeCount(scope, testKafka, `${input}.dlq`, 3, {}, 30_000);
  assert.deepEqual(
    dead.map((m) => [m.key, m.headers[DLQ_HEADERS.errorCode], m.headers[DLQ_HEADERS.sourceOffset], m.headers[DLQ_HEADERS.attempts]]),
    [
      ['pay-1', 'bad_magic', '1', '1'],
      ['pay-3', 'schema_unknown', '3', '1'],
      ['pay-5', 'payment_invalid', '5', '1'],
    ],
  );
  for (const m of dead) {
    const original = records.find((r) => r.key === m.key);
    assert.equal(m.value, original?.value.toString(), 'the original value bytes');
    assert.equal(m.headers[DLQ_HEADERS.processor], processor.name);
    assert.equal(m.headers[DLQ_HEADERS.sourceTopic], input);
    assert.equal(m.headers[DLQ_HEADERS.sourcePartition], '0');
    assert.ok((m.headers[DLQ_HEADERS.errorMessage] ?? '').length > 0);
  }
  assert.equal(dead[0]?.headers.origin, 'upstream', 'original headers are kept');
  assert.equal(dead[2]?.headers[DLQ_HEADERS.errorMessage], 'payment 5 is not valid');

  const text = await registry.metrics();
  const value = (name: string): number => Number(new RegExp(`^${name}\\{processor="${processor.name}"\\} (\\d+)`, 'm').exec(text)?.[1]);
  assert.equal(value('paystream_processor_records_in_total'), 8);
  assert.equal(value('paystream_processor_records_out_total'), 5);
  assert.equal(value('paystream_processor_records_dead_lettered_total'), 3);
  assert.equal(value('paystream_processor_records_failed_total'), 5, 'three dead letters and two failed attempts of the flaky record');
  assert.match(text, /paystream_processor_handle_seconds_count\{processor="[^"]+"\} 8/);
  assert.match(text, /paystream_processor_consumer_lag\{processor="[^"]+",topic="[^"]+",partition="0"\} 0/);

  await processor.stop();
  assert.equal(processor.state(), 'stopped');
});
