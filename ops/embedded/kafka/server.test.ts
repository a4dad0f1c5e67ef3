import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import pino from 'pino';
import { KafkaServer, type FrameHandler } from './server.ts';
import { waitFor } from '../../../test/helpers/wait.ts';

const logger = pino({ level: 'silent' });

function frame(body: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length, 0);
  return Buffer.concat([size, body]);
}

/** A request-shaped body: api key, version, correlation id, client id length, then a tag byte. */
function request(correlationId: number, tag: number): Buffer {
  const body = Buffer.alloc(11);
  body.writeInt16BE(18, 0);
  body.writeInt16BE(0, 2);
  body.writeInt32BE(correlationId, 4);
  body.writeInt16BE(-1, 8);
  body.writeUInt8(tag, 10);
  return frame(body);
}

/** Reads whole response frames from a socket, resolving each with its body. */
function responses(socket: net.Socket): { next(timeoutMs?: number): Promise<Buffer | 'closed' | 'timeout'> } {
  let buffered = Buffer.alloc(0);
  let closed = false;
  let notify: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    notify?.();
  });
  socket.on('close', () => {
    closed = true;
    notify?.();
  });
  socket.on('error', () => undefined);
  return {
    async next(timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
          const size = buffered.readInt32BE(0);
          const body = buffered.subarray(4, 4 + size);
          buffered = buffered.subarray(4 + size);
          return body;
        }
        if (closed) return 'closed';
        const left = deadline - Date.now();
        if (left <= 0) return 'timeout';
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          notify = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    },
  };
}

async function withServer(handler: FrameHandler, run: (port: number, server: KafkaServer) => Promise<void>, requestBytesMax?: number): Promise<void> {
  const server = new KafkaServer({ host: '127.0.0.1', port: 0, handler, logger, ...(requestBytesMax === undefined ? {} : { requestBytesMax }) });
  const { port } = await server.listen();
  try {
    await run(port, server);
  } finally {
    await server.close();
  }
}

async function connect(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  return socket;
}

/** Echoes the correlation id and tag; tag 1 answers slowly, tag 2 throws, tag 3 gets no reply. */
const echo: FrameHandler = async (req) => {
  const tag = req.readUInt8(10);
  if (tag === 1) await new Promise((resolve) => setTimeout(resolve, 50));
  if (tag === 2) throw new Error('handler bug');
  if (tag === 3) return { kind: 'noReply' };
  return { kind: 'reply', response: Buffer.concat([req.subarray(4, 8), Buffer.from([tag])]) };
};

test('server answers pipelined requests on one socket in arrival order', async () => {
  await withServer(echo, async (port) => {
    const socket = await connect(port);
    const reader = responses(socket);
    socket.write(Buffer.concat([request(1, 1), request(2, 0), request(3, 0)]));
    for (const expected of [1, 2, 3]) {
      const body = await reader.next();
      assert.ok(Buffer.isBuffer(body));
      assert.equal(body.readInt32BE(0), expected);
    }
    socket.destroy();
  });
});

test('server sends no frame for a request whose handler answers noReply', async () => {
  await withServer(echo, async (port) => {
    const socket = await connect(port);
    const reader = responses(socket);
    socket.write(Buffer.concat([request(1, 3), request(2, 0)]));
    const body = await reader.next();
    assert.ok(Buffer.isBuffer(body));
    assert.equal(body.readInt32BE(0), 2);
    socket.destroy();
  });
});

test('server closes only the connection whose handler throws', async () => {
  await withServer(echo, async (port) => {
    const bad = await connect(port);
    const good = await connect(port);
    const badReader = responses(bad);
    const goodReader = responses(good);
    bad.write(request(1, 2));
    assert.equal(await badReader.next(), 'closed');
    good.write(request(7, 0));
    const body = await goodReader.next();
    assert.ok(Buffer.isBuffer(body));
    assert.equal(body.readInt32BE(0), 7);
    good.destroy();
  });
});

test('server closes a connection that announces an oversized or undersized frame', async () => {
  await withServer(echo, async (port, server) => {
    const oversized = await connect(port);
    const oversizedReader = responses(oversized);
    const head = Buffer.alloc(4);
    head.writeInt32BE(1025, 0);
    oversized.write(head);
    assert.equal(await oversizedReader.next(), 'closed');

    const negative = await connect(port);
    const negativeReader = responses(negative);
    negative.write(Buffer.from([0xff, 0xff, 0xff, 0xff]));
    assert.equal(await negativeReader.next(), 'closed');

    const good = await connect(port);
    const goodReader = responses(good);
    good.write(request(9, 0));
    const body = await goodReader.next();
    assert.ok(Buffer.isBuffer(body));
    assert.equal(server.connectionCount >= 1, true);
    good.destroy();
  }, 1024);
});

test('server reassembles a frame split across many writes', async () => {
  await withServer(echo, async (port) => {
    const socket = await connect(port);
    const reader = responses(socket);
    const bytes = Buffer.concat([request(5, 0), request(6, 0)]);
    for (const byte of bytes) {
      socket.write(Buffer.from([byte]));
    }
    for (const expected of [5, 6]) {
      const body = await reader.next();
      assert.ok(Buffer.isBuffer(body));
      assert.equal(body.readInt32BE(0), expected);
    }
    socket.destroy();
  });
});

test('server close answers the request in flight and then ends the socket', async () => {
  let entered: () => void = () => undefined;
  const handlerEntered = new Promise<void>((resolve) => {
    entered = resolve;
  });
  const handler: FrameHandler = (req) => {
    entered();
    return echo(req, { id: 0, remoteAddress: '', remotePort: 0 });
  };
  const server = new KafkaServer({ host: '127.0.0.1', port: 0, handler, logger });
  const { port } = await server.listen();
  const socket = await connect(port);
  const reader = responses(socket);
  socket.write(request(11, 1));
  await handlerEntered;
  const closing = server.close();
  const body = await reader.next();
  assert.ok(Buffer.isBuffer(body));
  assert.equal(body.readInt32BE(0), 11);
  assert.equal(await reader.next(), 'closed');
  await closing;
});

test('server refuses connections beyond its connection limit and accepts again once one closes', async () => {
  const server = new KafkaServer({ host: '127.0.0.1', port: 0, handler: echo, logger, connectionsMax: 2 });
  const { port } = await server.listen();
  try {
    const first = await connect(port);
    const second = await connect(port);
    const third = net.connect(port, '127.0.0.1');
    const thirdReader = responses(third);
    assert.equal(await thirdReader.next(), 'closed');
    first.destroy();
    await waitFor(() => server.connectionCount === 1, { timeoutMs: 5_000, message: 'the closed connection to be forgotten' });
    const fourth = await connect(port);
    const reader = responses(fourth);
    fourth.write(request(4, 0));
    const body = await reader.next();
    assert.ok(Buffer.isBuffer(body));
    second.destroy();
    fourth.destroy();
  } finally {
    await server.close();
  }
});

test('a client that goes away in the middle of a large response is a routine close, not a broker error', async () => {
  const lines: Array<{ level: number; msg: string }> = [];
  const capturing = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line) as { level: number; msg: string }) });
  const big = Buffer.alloc(64 * 1024 * 1024, 7);
  let bigAnswers = 0;
  const server = new KafkaServer({
    host: '127.0.0.1',
    port: 0,
    logger: capturing,
    handler: async (req) => {
      if (req.readUInt8(10) !== 1) return { kind: 'reply', response: Buffer.from([1]) };
      bigAnswers += 1;
      return { kind: 'reply', response: big };
    },
  });
  const { port } = await server.listen();
  try {
    for (let i = 0; i < 3; i += 1) {
      const gone = await connect(port);
      gone.on('error', () => undefined);
      gone.pause();
      gone.write(request(1, 1));
      // The response cannot fit in the socket buffers of a reader that never reads: the broker waits.
      await waitFor(() => (bigAnswers > i ? true : undefined), { timeoutMs: 5_000, message: 'the large answer to be written' });
      gone.resetAndDestroy();
      await once(gone, 'close');
    }
    const fine = await connect(port);
    const answers = responses(fine);
    fine.write(request(2, 0));
    const answer = await answers.next();
    assert.ok(Buffer.isBuffer(answer) && answer.length === 1);
    fine.destroy();
  } finally {
    await server.close();
  }
  assert.deepEqual(lines.filter((l) => l.level >= 50), []);
});
