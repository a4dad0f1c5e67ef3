import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scope, connectedProducer, newKafka, startTestBroker, uniqueName } from '../../../test/helpers/kafkajs.ts';
import { RawConnection, apiVersions, fetch as rawFetch, metadata, produceBody } from '../../../test/helpers/raw-client.ts';
import { ApiKey, type Reader, Writer, encodeBatch, frameRequest } from '../../../test/helpers/raw-wire.ts';
import { PassThrough } from 'node:stream';
import pino from 'pino';
import { startBroker } from './index.ts';
import { tempDir, waitFor, withTimeout } from '../../../test/helpers/wait.ts';

const CLOSE_TIMEOUT_MS = 5_000;

async function expectClosedAfter(bootstrap: string, bytes: Buffer, what: string): Promise<void> {
  const conn = await RawConnection.fromBootstrap(bootstrap);
  conn.writeRaw(bytes);
  await withTimeout(conn.closed, CLOSE_TIMEOUT_MS, `the broker to close the connection after ${what}`);
}

function sizePrefix(size: number): Buffer {
  return new Writer().int32(size).build();
}

test('broker closes only the connection that sends a bad frame while a kafkajs producer keeps working', async (t) => {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope);
  const producer = await connectedProducer(scope, newKafka(bootstrap));
  const topic = uniqueName('abuse');
  let sent = 0;
  const sendOne = async (): Promise<void> => {
    const [result] = await producer.send({ topic, acks: -1, messages: [{ value: `m${sent}` }] });
    assert.equal(result?.errorCode, 0);
    sent += 1;
  };
  await sendOne();

  const abuses: Array<[string, Buffer]> = [
    ['an oversized frame size', sizePrefix(0x7fff_ffff)],
    ['a negative frame size', sizePrefix(-5)],
    ['a frame too short for a request header', Buffer.concat([sizePrefix(3), Buffer.from([1, 2, 3])])],
    ['an unknown api key', frameRequest(99, 0, 1, 'abuser', Buffer.alloc(0))],
    ['an unsupported Produce version', frameRequest(ApiKey.Produce, 2, 1, 'abuser', Buffer.alloc(8))],
    ['a Metadata body whose topic count exceeds the bytes sent', frameRequest(ApiKey.Metadata, 4, 1, 'abuser', new Writer().int32(1_000_000).build())],
    ['a truncated Produce body', frameRequest(ApiKey.Produce, 3, 1, 'abuser', Buffer.from([0xff, 0xff, 0x00]))],
    ['a client id longer than the frame', Buffer.concat([sizePrefix(10), new Writer().int16(3).int16(0).int32(7).int16(500).build()])],
  ];
  for (const [what, bytes] of abuses) {
    await expectClosedAfter(bootstrap, bytes, what);
    await sendOne();
  }
  assert.equal(sent, abuses.length + 1);
});

test('broker answers ApiVersions v3 with the v0 error body and keeps the socket open', async (t) => {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope);
  const conn = await RawConnection.fromBootstrap(bootstrap);
  scope.defer('close raw connection', () => conn.close());
  // librdkafka's flexible v3 request body: client software name and version (compact strings), no tags.
  const v3Body = new Writer().int8(8).raw(Buffer.from('rdkafka')).int8(6).raw(Buffer.from('2.0.2')).int8(0).build();
  const r: Reader = await conn.request(ApiKey.ApiVersions, 3, v3Body);
  assert.equal(r.int16(), 35, 'UNSUPPORTED_VERSION');
  const keys = r.array((x) => ({ apiKey: x.int16(), minVersion: x.int16(), maxVersion: x.int16() }));
  assert.deepEqual(keys, [{ apiKey: 18, minVersion: 0, maxVersion: 2 }]);
  assert.equal(r.remaining, 0, 'a v0 body has no throttle time');

  const v0 = await apiVersions(conn, 0);
  assert.equal(v0.errorCode, 0);
  assert.ok(v0.apis.every((a) => a.minVersion === 0), 'every key is advertised from version 0 (spec §1)');
  const byKey = new Map(v0.apis.map((a) => [a.apiKey, a.maxVersion]));
  assert.equal(byKey.get(ApiKey.Produce), 3);
  assert.equal(byKey.get(ApiKey.Fetch), 4);
  assert.equal(byKey.get(ApiKey.FindCoordinator), 1);
  assert.equal(conn.isClosed, false);
});

test('broker sends no response frame to an acks=0 produce and still stores the batch', async (t) => {
  const scope = new Scope(t);
  const { bootstrap } = await startTestBroker(scope);
  const conn = await RawConnection.fromBootstrap(bootstrap);
  scope.defer('close raw connection', () => conn.close());
  const topic = uniqueName('acks0');
  const meta = await metadata(conn, [topic], true);
  assert.equal(meta.topics[0]?.errorCode, 0);
  assert.equal(meta.controllerId, 0);
  const batch = encodeBatch({ records: [{ key: Buffer.from('k'), value: Buffer.from('v') }] });
  conn.send(ApiKey.Produce, 3, produceBody(topic, 0, batch, { acks: 0 }));
  const fetched = await rawFetch(conn, topic, 0, 0);
  assert.equal(fetched.errorCode, 0);
  assert.equal(fetched.highWatermark, 1);
  assert.equal(conn.unexpectedFrames, 0, 'the acks=0 produce got no frame');
});

test('broker logs why it closed a connection', async (t) => {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new PassThrough();
  destination.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.startsWith('{')) lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  const dir = tempDir('broker-abuse-log', t);
  const broker = await startBroker({ dataDir: dir.path, host: '127.0.0.1', port: 0 }, { logger: pino({ level: 'warn' }, destination) });
  t.after(() => broker.close());
  await expectClosedAfter(broker.bootstrap, frameRequest(99, 0, 1, 'abuser', Buffer.alloc(0)), 'an unknown api key');
  await expectClosedAfter(broker.bootstrap, sizePrefix(0x7fff_ffff), 'an oversized frame');
  await waitFor(() => lines.filter((l) => l.msg === 'closing client connection').length >= 2, { timeoutMs: 5_000, message: () => `two close log lines in ${JSON.stringify(lines)}` });
  const reasons = lines.filter((l) => l.msg === 'closing client connection').map((l) => l.reason);
  assert.deepEqual(reasons, ['unknown_api_key', 'frame_too_large']);
});
