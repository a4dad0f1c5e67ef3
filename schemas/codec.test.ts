import { test } from 'node:test';
import assert from 'node:assert/strict';
import avro from 'avsc';
import { createLogger } from '../lib/logger.ts';
import { startSchemaRegistry, type RunningSchemaRegistry } from '../ops/embedded/schema-registry/index.ts';
import { Scope, startTestBroker, uniqueName } from '../test/helpers/kafkajs.ts';
import { AvroCodec, CodecError, topicCodec, valueCodec, type CodecErrorCode } from './codec.ts';
import { SAMPLES, UNSAFE_MINOR } from './samples.ts';
import { SCHEMA_NAMES, schemaText } from './schema-files.ts';
import { valueSubject } from './catalogue.ts';

const logger = createLogger({ level: 'silent' });

async function setup(t: { after: (fn: () => unknown) => void }): Promise<{ scope: Scope; registry: RunningSchemaRegistry; codec: AvroCodec }> {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope);
  const registry = await startSchemaRegistry({ kafkaBrokers: [bootstrap], host: '127.0.0.1', port: 0, logger, topic: uniqueName('schemas') });
  scope.defer('close registry', () => registry.close());
  const codec = new AvroCodec({ registryUrl: registry.url, clientId: uniqueName('codec'), autoRegister: true });
  return { scope, registry, codec };
}

/** Plain data for deepEqual: avsc decodes records into class instances. */
function plain(value: unknown): unknown {
  if (Buffer.isBuffer(value) || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(plain);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
}

async function codecError(promise: Promise<unknown>): Promise<CodecError> {
  const err = await promise.then(
    () => assert.fail('expected a CodecError'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof CodecError, String(err));
  return err;
}

test('codec round-trips every schema through a real registry in the Confluent wire format', async (t) => {
  const { codec } = await setup(t);
  const topic = uniqueName('codec');
  for (const name of SCHEMA_NAMES) {
    const bytes = await codec.encode(`${topic}.${name}`, name, SAMPLES[name]);
    assert.equal(bytes[0], 0, 'magic byte');
    assert.equal(bytes.readInt32BE(1), await codec.schemaId(`${topic}.${name}`, name));
    assert.deepEqual(plain(await codec.decode(name, bytes)), plain(SAMPLES[name]), name);
  }
  const bytes = await codec.encode(`${topic}.PaymentEvent`, 'PaymentEvent', SAMPLES.PaymentEvent);
  const decoded = await codec.decode('PaymentEvent', bytes);
  assert.equal(decoded.amountMinor, UNSAFE_MINOR, '2^53+1 minor units survive exactly');
});

test('codec caches schema ids: encoding and decoding keep working after the registry stops', async (t) => {
  const { registry, codec } = await setup(t);
  const topic = uniqueName('cached');
  const first = await codec.encode(topic, 'ChannelSwitch', SAMPLES.ChannelSwitch);
  await codec.decode('ChannelSwitch', first);
  await registry.close();
  const second = await codec.encode(topic, 'ChannelSwitch', SAMPLES.ChannelSwitch);
  assert.deepEqual(second, first);
  assert.deepEqual(plain(await codec.decode('ChannelSwitch', second)), plain(SAMPLES.ChannelSwitch));
  // An id it has never seen needs the registry, which is down: retriable.
  const unseen = Buffer.from(first);
  unseen.writeInt32BE(first.readInt32BE(1) + 50, 1);
  const err = await codecError(codec.decode('ChannelSwitch', unseen));
  assert.equal(err.code, 'registry_unavailable');
  assert.equal(err.retriable, true);
});

test('codec reports bad bytes and bad values as typed, non-retriable errors', async (t) => {
  const { codec } = await setup(t);
  const topic = uniqueName('bad');
  const good = await codec.encode(topic, 'PaymentCommand', SAMPLES.PaymentCommand);
  const withId = (id: number) => {
    const b = Buffer.from(good);
    b.writeInt32BE(id, 1);
    return b;
  };
  const cases: Array<[string, Buffer, CodecErrorCode]> = [
    ['empty', Buffer.alloc(0), 'malformed'],
    ['header cut short', good.subarray(0, 4), 'malformed'],
    ['magic byte 1', Buffer.concat([Buffer.from([1]), good.subarray(1)]), 'bad_magic'],
    ['plain JSON', Buffer.from('{"paymentId":"p"}'), 'bad_magic'],
    ['unknown schema id', withId(987_654), 'schema_unknown'],
    ['body cut short', good.subarray(0, good.length - 3), 'malformed'],
    ['trailing bytes', Buffer.concat([good, Buffer.from([0x42])]), 'malformed'],
  ];
  for (const [what, bytes, code] of cases) {
    const err = await codecError(codec.decode('PaymentCommand', bytes));
    assert.equal(err.code, code, what);
    assert.equal(err.retriable, false, what);
  }
  const badValue = { ...SAMPLES.PaymentEvent, amountMinor: 100 as unknown as bigint };
  const err = await codecError(codec.encode(topic, 'PaymentEvent', badValue));
  assert.equal(err.code, 'invalid_value');
  assert.deepEqual(err.paths, ['amountMinor']);
  // Bytes written with a schema that cannot be read as ours.
  const other = await codec.encode(uniqueName('other'), 'ChannelSwitch', SAMPLES.ChannelSwitch);
  assert.equal((await codecError(codec.decode('PaymentCommand', other))).code, 'schema_incompatible');
});

test('codec decodes records written with an older schema into the current types', async (t) => {
  const { registry, codec } = await setup(t);
  const topic = uniqueName('evolved');
  // An older OpsLog without the `fields` map (the current schema gives it a default).
  const current = JSON.parse(schemaText('OpsLog')) as { fields: Array<{ name: string }> };
  const older = { ...current, fields: current.fields.filter((f) => f.name !== 'fields') };
  const response = await fetch(`${registry.url}/subjects/${valueSubject(topic)}/versions`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ schema: JSON.stringify(older) }),
  });
  const { id } = (await response.json()) as { id: number };
  const { fields: _dropped, ...oldValue } = SAMPLES.OpsLog;
  const header = Buffer.alloc(5);
  header.writeInt32BE(id, 1);
  const bytes = Buffer.concat([header, avro.Type.forSchema(older as avro.Schema).toBuffer(oldValue)]);
  const decoded = await codec.decode('OpsLog', bytes);
  assert.deepEqual(plain(decoded), plain({ ...oldValue, fields: {} }));
  // Our current schema is a compatible (BACKWARD) next version of the same subject.
  const encoded = await codec.encode(topic, 'OpsLog', SAMPLES.OpsLog);
  assert.notEqual(encoded.readInt32BE(1), id);
});

test('codec without auto-registration refuses a schema the subject does not have', async (t) => {
  const { registry } = await setup(t);
  const codec = new AvroCodec({ registryUrl: registry.url, clientId: uniqueName('codec'), autoRegister: false });
  const err = await codecError(codec.encode(uniqueName('unregistered'), 'ReconResult', SAMPLES.ReconResult));
  assert.equal(err.code, 'schema_rejected');
  assert.equal(err.retriable, false);
});

test('topic codecs are typed by the catalogue and value codecs fit the runtime', async (t) => {
  const { codec } = await setup(t);
  const commands = topicCodec(codec, 'payments.commands');
  const bytes = await commands.encode(SAMPLES.PaymentCommand);
  const command = await commands.decode(bytes);
  assert.ok('paystream.CreatePayment' in command.body);
  assert.equal(command.body['paystream.CreatePayment'].amountMinor, UNSAFE_MINOR);
  const events = valueCodec(codec, 'PaymentEvent');
  const topic = uniqueName('events');
  const decoded = await events.decode(await events.encode(SAMPLES.PaymentEvent, topic), topic);
  assert.equal(decoded.sequence, SAMPLES.PaymentEvent.sequence);
});
