/**
 * A bounded, seeded fuzzer against the broker child process: random frames and mutated valid
 * frames (bit flips, truncations, huge and negative lengths, unknown API keys, unsupported
 * versions) over many raw connections. Afterwards the process must still run and serve kafkajs.
 * A failure prints the seed and the broker's output; rerun with the same seed to reproduce.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { spawnBroker } from '../helpers/broker-process.ts';
import { ApiKey, Writer, encodeBatch, frameRequest } from '../helpers/raw-wire.ts';
import { RawConnection, apiVersions, produceBody } from '../helpers/raw-client.ts';
import { Scope, connectedProducer, consumeCount, newKafka, uniqueName } from '../helpers/kafkajs.ts';
import { tempDir } from '../helpers/wait.ts';

const SEED = 0x5eed_2026;
/** Connections opened in total; each sends a few frames. */
const CONNECTIONS_MAX = 1_000;
const FRAMES_PER_CONNECTION_MAX = 4;
const CONCURRENT_CONNECTIONS = 8;
/** Stop starting new connections after this, whatever the count, to keep the file fast. */
const FUZZ_BUDGET_MS = 12_000;
/** How long one connection may stay open waiting for the broker to answer or close it. */
const CONNECTION_LINGER_MS = 250;

/** mulberry32: small, fast, seedable. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rng = () => number;
const int = (rng: Rng, n: number): number => Math.floor(rng() * n);
const pick = <T>(rng: Rng, items: readonly T[]): T => items[int(rng, items.length)] as T;

function randomBytes(rng: Rng, length: number): Buffer {
  const b = Buffer.alloc(length);
  for (let i = 0; i < length; i += 1) b.writeUInt8(int(rng, 256), i);
  return b;
}

/** Valid request frames of the advertised versions, the seeds for mutation. */
function validFrames(topic: string): Array<{ apiKey: number; version: number; body: Buffer }> {
  const batch = encodeBatch({ records: [{ key: Buffer.from('k'), value: Buffer.from('fuzz') }] });
  return [
    { apiKey: ApiKey.ApiVersions, version: 2, body: Buffer.alloc(0) },
    { apiKey: ApiKey.Metadata, version: 4, body: new Writer().array([topic], (w, t) => w.string(t)).int8(1).build() },
    { apiKey: ApiKey.Produce, version: 3, body: produceBody(topic, 0, batch, { acks: 1 }) },
    {
      apiKey: ApiKey.Fetch,
      version: 4,
      body: new Writer().int32(-1).int32(50).int32(1).int32(1024).int8(0).array([topic], (w, t) => w.string(t).array([0], (w2, p) => w2.int32(p).int64(0).int32(1024))).build(),
    },
    { apiKey: ApiKey.ListOffsets, version: 2, body: new Writer().int32(-1).int8(0).array([topic], (w, t) => w.string(t).array([0], (w2, p) => w2.int32(p).int64(-1))).build() },
    { apiKey: ApiKey.FindCoordinator, version: 1, body: new Writer().string('fuzz-group').int8(0).build() },
    {
      apiKey: ApiKey.JoinGroup,
      version: 1,
      body: new Writer().string('fuzz-group').int32(6000).int32(200).string('').string('consumer').array([{ name: 'range', metadata: Buffer.alloc(4) }], (w, p) => w.string(p.name).bytes(p.metadata)).build(),
    },
    { apiKey: ApiKey.Heartbeat, version: 0, body: new Writer().string('fuzz-group').int32(1).string('nobody').build() },
    { apiKey: ApiKey.InitProducerId, version: 0, body: new Writer().string(null).int32(60000).build() },
    { apiKey: ApiKey.OffsetFetch, version: 3, body: new Writer().string('fuzz-group').array(null, () => undefined).build() },
    { apiKey: ApiKey.DescribeGroups, version: 0, body: new Writer().array(['fuzz-group'], (w, g) => w.string(g)).build() },
    { apiKey: ApiKey.EndTxn, version: 0, body: new Writer().string('fuzz-txn').int64(1).int16(0).int8(1).build() },
  ];
}

/** One fuzzed frame: random, a mutated valid frame, or a valid frame with a bad header. */
function fuzzFrame(rng: Rng, seeds: ReturnType<typeof validFrames>, correlationId: number): Buffer {
  const seed = pick(rng, seeds);
  const valid = frameRequest(seed.apiKey, seed.version, correlationId, 'fuzz', seed.body);
  switch (int(rng, 9)) {
    case 0:
      return randomBytes(rng, int(rng, 200));
    case 1: {
      // Random body behind a plausible size prefix.
      const body = randomBytes(rng, int(rng, 300));
      return new Writer().int32(body.length).raw(body).build();
    }
    case 2: {
      const flipped = Buffer.from(valid);
      const flips = 1 + int(rng, 8);
      for (let i = 0; i < flips; i += 1) {
        const at = 4 + int(rng, flipped.length - 4);
        flipped.writeUInt8(flipped.readUInt8(at) ^ (1 << int(rng, 8)), at);
      }
      return flipped;
    }
    case 3:
      // Truncated: the size prefix promises more than is sent before the connection closes.
      return valid.subarray(0, int(rng, valid.length));
    case 4: {
      // Truncated with the size prefix fixed up, so the request itself is short.
      const cut = 4 + int(rng, valid.length - 4);
      const shortFrame = Buffer.from(valid.subarray(0, cut));
      shortFrame.writeInt32BE(cut - 4, 0);
      return shortFrame;
    }
    case 5: {
      const huge = Buffer.from(valid);
      huge.writeInt32BE(pick(rng, [0x7fffffff, -1, -2147483648, 0, 1, 100 * 1024 * 1024]), 0);
      return huge;
    }
    case 6:
      return frameRequest(pick(rng, [999, 57, 67, 17, 36, 32, -1, 32767]), int(rng, 5), correlationId, 'fuzz', seed.body);
    case 7:
      return frameRequest(seed.apiKey, pick(rng, [seed.version + 1, 99, -1, 12, 32767]), correlationId, 'fuzz', seed.body);
    default: {
      // Boundary values written over a body field: counts, lengths, partitions, offsets, timeouts.
      const body = Buffer.from(seed.body);
      if (body.length >= 4) {
        const at = int(rng, body.length - 3);
        body.writeInt32BE(pick(rng, [0, -1, 1, 0x7fffffff, -0x80000000, 0x10000, 65535]), at);
      }
      return frameRequest(seed.apiKey, seed.version, correlationId, 'fuzz', body);
    }
  }
}

/** Opens a socket, writes the frames, and lingers until the broker closes it or the linger ends. */
function fuzzConnection(port: number, frames: Buffer[]): Promise<void> {
  return new Promise((resolve) => {
    const socket: Socket = connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => socket.destroy(), CONNECTION_LINGER_MS);
    socket.on('error', () => undefined);
    socket.on('data', () => undefined);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.once('connect', () => {
      for (const f of frames) socket.write(f);
    });
  });
}

test('the broker survives a seeded stream of random and mutated frames and still serves kafkajs', async (t) => {
  const scope = new Scope(t);
  const dir = tempDir('broker-fuzz', { after: (fn) => scope.defer('remove data dir', fn) });
  const broker = await spawnBroker({ dataDir: dir.path, extraArgs: ['--log-level', 'warn'] });
  scope.defer('stop broker', () => broker.stop());
  const rng = prng(SEED);
  const seeds = validFrames(uniqueName('fuzz'));

  const startedMs = Date.now();
  let opened = 0;
  const worker = async (): Promise<void> => {
    while (opened < CONNECTIONS_MAX && Date.now() - startedMs < FUZZ_BUDGET_MS) {
      opened += 1;
      const frames = Array.from({ length: 1 + int(rng, FRAMES_PER_CONNECTION_MAX) }, (_, i) => fuzzFrame(rng, seeds, i + 1));
      await fuzzConnection(broker.port, frames);
      assert.ok(broker.running, `broker died after ${opened} fuzz connections (seed ${SEED})\n${broker.output().slice(-4000)}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENT_CONNECTIONS }, worker));
  assert.ok(opened >= 50, `fuzzed only ${opened} connections in the time budget`);
  assert.ok(broker.running, `broker still running after ${opened} fuzz connections (seed ${SEED})\n${broker.output().slice(-4000)}`);

  const conn = await RawConnection.fromBootstrap(broker.bootstrap);
  scope.defer('close raw connection', () => conn.close());
  assert.equal((await apiVersions(conn, 2)).errorCode, 0);

  const kafka = newKafka(broker.bootstrap);
  const topic = uniqueName('after-fuzz');
  const producer = await connectedProducer(scope, kafka);
  await producer.send({ topic, messages: [{ key: 'a', value: 'still-alive-0' }, { key: 'b', value: 'still-alive-1' }] });
  const got = await consumeCount(scope, kafka, topic, 2);
  assert.deepEqual(got.map((m) => m.value), ['still-alive-0', 'still-alive-1']);
  assert.ok(broker.running, `broker still running at the end\n${broker.output().slice(-4000)}`);
  // Garbage from clients is an expected failure (a warning and a closed socket), never a broker error.
  const errors = broker.logLines().filter((l) => typeof l.level === 'number' && l.level >= 50);
  assert.deepEqual(errors.slice(0, 5), [], `broker logged ${errors.length} error(s) while fuzzed (seed ${SEED})`);
});
