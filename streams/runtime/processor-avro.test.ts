import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { createKafka } from '../../lib/kafka.ts';
import { createLogger } from '../../lib/logger.ts';
import { startSchemaRegistry } from '../../ops/embedded/schema-registry/index.ts';
import { AvroCodec, valueCodec } from '../../schemas/codec.ts';
import { SAMPLES } from '../../schemas/samples.ts';
import type { ValueTypes } from '../../schemas/types.ts';
import { Scope, connectedAdmin, connectedProducer, consumeCount, newKafka, startTestBroker, uniqueName } from '../../test/helpers/kafkajs.ts';
import { withTimeout } from '../../test/helpers/wait.ts';
import { DLQ_HEADERS } from './headers.ts';
import { createProcessor } from './processor.ts';
import type { Handler } from './types.ts';

type Command = ValueTypes['PaymentCommand'];

test('records the Avro codec cannot read (bad magic byte, unknown schema id, broken body) are dead-lettered and the rest decode', { timeout: 60_000 }, async (t) => {
  const scope = new Scope(t);
  const logger = createLogger({ level: 'silent' });
  const { bootstrap } = await startTestBroker(scope, { groupInitialRebalanceDelayMs: 0 });
  const schemas = await startSchemaRegistry({ kafkaBrokers: [bootstrap], host: '127.0.0.1', port: 0, logger, topic: uniqueName('schemas') });
  scope.defer('close registry', () => schemas.close());
  const codec = new AvroCodec({ registryUrl: schemas.url, clientId: uniqueName('codec'), autoRegister: true });
  const commands = valueCodec(codec, 'PaymentCommand');

  const kafka = newKafka(bootstrap);
  const input = uniqueName('payments.commands');
  const output = uniqueName('payments.copied');
  const admin = await connectedAdmin(scope, kafka);
  await admin.createTopics({ topics: [input, output, `${input}.dlq`].map((topic) => ({ topic, numPartitions: 1 })) });

  const good = await commands.encode(SAMPLES.PaymentCommand, input);
  const badMagic = Buffer.from(good);
  badMagic.writeUInt8(1, 0);
  const unknownId = Buffer.from(good);
  unknownId.writeInt32BE(987_654, 1);
  const broken = good.subarray(0, good.length - 3);
  const producer = await connectedProducer(scope, kafka);
  await producer.send({
    topic: input,
    acks: -1,
    messages: [good, badMagic, unknownId, broken, good].map((value, i) => ({ key: `pay-${i}`, value })),
  });

  const copy: Handler<Command, Command> = async (record) => [{ topic: output, key: record.key, value: record.value }];
  const processor = createProcessor<Command, Command>({
    name: uniqueName('avro-copy'),
    kafka: createKafka({ brokers: [bootstrap], clientId: 'avro-copy', logger }),
    topics: [input],
    handler: copy,
    decoder: commands,
    encoder: commands,
    logger,
    registry: new Registry(),
    group: { sessionTimeoutMs: 6_000, rebalanceTimeoutMs: 5_000, heartbeatIntervalMs: 300, maxWaitTimeMs: 200 },
  });
  scope.defer('stop processor', () => processor.stop());
  await processor.start();

  const dead = await consumeCount(scope, kafka, `${input}.dlq`, 3, {}, 30_000);
  assert.deepEqual(
    dead.map((m) => [m.key, m.headers[DLQ_HEADERS.errorCode], m.headers[DLQ_HEADERS.attempts]]),
    [
      ['pay-1', 'bad_magic', '1'],
      ['pay-2', 'schema_unknown', '1'],
      ['pay-3', 'malformed', '1'],
    ],
  );
  const out = await consumeCount(scope, kafka, output, 2, {}, 30_000);
  assert.deepEqual(out.map((m) => m.key), ['pay-0', 'pay-4']);
  const [first] = out;
  assert.ok(first?.value !== null && first?.value !== undefined);
  // The test consumer hands values over as text; the Avro bytes are re-read from the topic by offset instead.
  const raw = await rawValue(kafka, output);
  const decoded = await commands.decode(raw, output);
  assert.equal(decoded.paymentId, SAMPLES.PaymentCommand.paymentId);
  await processor.stop();
});

/** The first record's value bytes of a one-partition topic. */
async function rawValue(kafka: ReturnType<typeof newKafka>, topic: string): Promise<Buffer> {
  const consumer = kafka.consumer({ groupId: uniqueName('raw'), maxWaitTimeInMs: 200 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const first = new Promise<Buffer>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            if (message.value !== null) resolve(message.value);
          },
        })
        .catch(reject);
    });
    return await withTimeout(first, 15_000, `a record of ${topic}`);
  } finally {
    await consumer.disconnect();
  }
}
