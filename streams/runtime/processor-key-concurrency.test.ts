import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { createKafka } from '../../lib/kafka.ts';
import { createLogger } from '../../lib/logger.ts';
import { PaystreamError } from '../../lib/errors.ts';
import { Scope, connectedAdmin, connectedProducer, consumeCount, newKafka, startTestBroker, uniqueName } from '../../test/helpers/kafkajs.ts';
import { createProcessor } from './processor.ts';
import { wireBytes, wireCodec } from './testing/wire-codec.ts';
import type { Handler } from './types.ts';

interface Item {
  n: number;
}

const SCHEMA_ID = 7;
const KEYS = 4;
const PER_KEY = 3;
/** How long the handler waits for every key to be in flight before it declares no overlap. */
const OVERLAP_DEADLINE_MS = 10_000;

test('records of different keys are handled at the same time, each key in order, and outputs keep input order', async (t) => {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope, { groupInitialRebalanceDelayMs: 0 });
  const testKafka = newKafka(bootstrap);
  const input = uniqueName('items');
  const output = uniqueName('items-out');
  const admin = await connectedAdmin(scope, testKafka);
  await admin.createTopics({ topics: [input, output, `${input}.dlq`].map((topic) => ({ topic, numPartitions: 1 })) });

  // Interleaved: k0 k1 k2 k3 k0 k1 ... so input order differs from per-key grouping.
  const records = Array.from({ length: KEYS * PER_KEY }, (_, n) => ({ key: `k${String(n % KEYS)}`, value: wireBytes(SCHEMA_ID, { n }) }));
  const producer = await connectedProducer(scope, testKafka);
  await producer.send({ topic: input, messages: records, acks: -1 });

  const inFlight = new Set<string>();
  const seenKeys = new Set<string>();
  const handledByKey = new Map<string, number[]>();
  let maxInFlight = 0;
  let sameKeyOverlap = false;
  let allKeysInFlight: () => void = () => undefined;
  const overlapped = new Promise<void>((resolve) => {
    allKeysInFlight = resolve;
  });
  const handler: Handler<Item, Item> = async (record, { attempt }) => {
    const key = record.key?.toString() ?? '';
    if (inFlight.has(key)) sameKeyOverlap = true;
    inFlight.add(key);
    maxInFlight = Math.max(maxInFlight, inFlight.size);
    try {
      // k1's first record fails retriably twice: the other keys must not wait for it.
      if (key === 'k1' && record.value.n === 1 && attempt < 3) throw new PaystreamError('channel_unavailable', 'try again', { retriable: true });
      if (!seenKeys.has(key)) {
        seenKeys.add(key);
        if (seenKeys.size === KEYS) allKeysInFlight();
        // The first record of each key waits until all keys have started: only overlap gets past this.
        const deadline = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), OVERLAP_DEADLINE_MS).unref());
        if ((await Promise.race([overlapped.then(() => 'ok' as const), deadline])) === 'late') throw new PaystreamError('test_no_overlap', 'keys were not handled concurrently');
      }
      const list = handledByKey.get(key) ?? [];
      list.push(record.value.n);
      handledByKey.set(key, list);
      return [{ topic: output, key: record.key, value: { n: record.value.n } }];
    } finally {
      inFlight.delete(key);
    }
  };
  const logger = createLogger({ level: 'silent' });
  const codec = wireCodec<Item>(new Set([SCHEMA_ID]), () => SCHEMA_ID);
  const processor = createProcessor<Item, Item>({
    name: uniqueName('key-concurrency'),
    kafka: createKafka({ brokers: [bootstrap], clientId: 'processor', logger }),
    topics: [input],
    handler,
    decoder: codec,
    encoder: codec,
    logger,
    registry: new Registry(),
    keyConcurrency: KEYS,
    group: { sessionTimeoutMs: 6_000, rebalanceTimeoutMs: 5_000, heartbeatIntervalMs: 300, maxWaitTimeMs: 200 },
    backoff: { initialMs: 5, maxMs: 20, factor: 2 },
  });
  scope.defer('stop processor', () => processor.stop());
  await processor.start();

  const outputs = await consumeCount(scope, testKafka, output, records.length, {}, 30_000);
  assert.deepEqual(
    outputs.map((m) => JSON.parse(m.value?.slice(5).toString() ?? 'null') as Item),
    records.map((_, n) => ({ n })),
    'outputs in input order',
  );
  assert.equal(sameKeyOverlap, false, 'no two records of one key in flight together');
  assert.ok(maxInFlight >= KEYS - 1, `keys overlapped (max in flight ${String(maxInFlight)})`);
  for (let k = 0; k < KEYS; k += 1) {
    assert.deepEqual(handledByKey.get(`k${String(k)}`), Array.from({ length: PER_KEY }, (_, i) => k + i * KEYS), `key k${String(k)} handled in order`);
  }
});
