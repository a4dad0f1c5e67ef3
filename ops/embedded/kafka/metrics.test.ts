import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scope, connectedProducer, newKafka, startTestBroker, uniqueName } from '../../../test/helpers/kafkajs.ts';
import { brokerRegistry } from './metrics.ts';

async function gauge(name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const metric = (await brokerRegistry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l));
  return value?.value;
}

test('broker metrics count requests and report log end offsets and open transactions', async (t) => {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope);
  const topic = uniqueName('metrics');
  const producer = await connectedProducer(scope, newKafka(bootstrap), { transactionalId: uniqueName('tx'), idempotent: true, maxInFlightRequests: 1 });
  const txn = await producer.transaction();
  await txn.send({ topic, messages: [{ value: 'a' }, { value: 'b' }] });
  assert.equal(await gauge('paystream_broker_open_transactions'), 1);
  assert.equal(await gauge('paystream_broker_log_end_offset', { topic, partition: '0' }), 2);
  await txn.commit();
  assert.equal(await gauge('paystream_broker_open_transactions'), 0);
  assert.equal(await gauge('paystream_broker_log_end_offset', { topic, partition: '0' }), 3, 'the COMMIT marker takes an offset');
  const text = await brokerRegistry.metrics();
  assert.match(text, /paystream_broker_requests_total\{api="EndTxn"\} 1/);
  assert.match(text, /paystream_broker_request_duration_seconds_count\{api="Produce"\} 1/);
  assert.match(text, /paystream_broker_sent_bytes_total [1-9]/);
});
