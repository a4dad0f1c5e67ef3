/**
 * The broker's TCP edge: size-prefixed framing, one request at a time per socket, and a hard
 * boundary where anything thrown while handling a connection's input closes that connection
 * and nothing else.
 *
 * Framing (https://kafka.apache.org/protocol#protocol_common): every request and response is
 * `i32 size` followed by `size` bytes. Kafka mutes a socket while one of its requests is in
 * flight so responses leave in request order; this server does the same by not reading the next
 * frame until the current one is answered, which also means a parked Fetch or JoinGroup holds up
 * only its own socket (spec §1 "Per-connection ordering").
 */
import net from 'node:net';
import { once } from 'node:events';
import type { Logger } from 'pino';
import { CLOSE_GRACE_MS, CONNECTION_BUFFERED_BYTES_MAX, CONNECTIONS_MAX, REQUEST_BYTES_MAX, REQUEST_HEADER_BYTES_MIN } from './limits.ts';
import { countBytesIn, countBytesOut } from './metrics.ts';

export interface ConnectionInfo {
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

/**
 * What handling one request produced. `reply` carries the response without its size prefix
 * (correlation id onwards); `noReply` is acks=0 Produce; `close` ends the connection, for input
 * the protocol says to drop (unknown api key, unsupported version, malformed body).
 */
export type FrameOutcome =
  | { kind: 'reply'; response: Buffer }
  | { kind: 'noReply' }
  | { kind: 'close'; reason: string; detail?: Record<string, unknown> };

export type FrameHandler = (request: Buffer, connection: ConnectionInfo) => Promise<FrameOutcome>;

export interface KafkaServerOptions {
  host: string;
  port: number;
  handler: FrameHandler;
  logger: Logger;
  connectionsMax?: number;
  requestBytesMax?: number;
}

/** Collects socket chunks and hands out whole frames without re-copying the buffer per chunk. */
class FrameBuffer {
  private chunks: Buffer[] = [];
  bytes = 0;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
  }

  /** The next frame's declared size, or undefined until its 4 size bytes have arrived. */
  peekSize(): number | undefined {
    if (this.bytes < 4) return undefined;
    const first = this.chunks[0];
    const head = first !== undefined && first.length >= 4 ? first : this.take(4, false);
    return head.readInt32BE(0);
  }

  /** Removes and returns the first `n` bytes (or only copies them when `consume` is false). */
  take(n: number, consume = true): Buffer {
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    let index = 0;
    while (filled < n) {
      const chunk = this.chunks[index];
      if (chunk === undefined) throw new RangeError(`frame buffer holds ${this.bytes} bytes, asked for ${n}`);
      const used = Math.min(chunk.length, n - filled);
      chunk.copy(out, filled, 0, used);
      filled += used;
      if (consume) {
        if (used === chunk.length) this.chunks.shift();
        else this.chunks[0] = chunk.subarray(used);
      } else {
        index += 1;
      }
    }
    if (consume) this.bytes -= n;
    return out;
  }
}

class Connection {
  private readonly frames = new FrameBuffer();
  private busy = false;
  private closing = false;
  private destroyed = false;

  constructor(
    readonly info: ConnectionInfo,
    private readonly socket: net.Socket,
    private readonly options: Required<Pick<KafkaServerOptions, 'handler' | 'logger' | 'requestBytesMax'>>,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    // A reset or a write to a closed peer is routine for a broker; it must never reach the process.
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.options.logger.debug({ connection: this.info, code: err.code }, 'client socket error');
    });
    socket.on('close', () => {
      this.destroyed = true;
    });
  }

  get idle(): boolean {
    return !this.busy;
  }

  /** Stop after the request in flight; an idle connection ends now. */
  shutdown(): void {
    this.closing = true;
    if (!this.busy) this.socket.end();
  }

  destroy(): void {
    this.destroyed = true;
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    countBytesIn(chunk.length);
    this.frames.push(chunk);
    if (this.frames.bytes > CONNECTION_BUFFERED_BYTES_MAX) this.socket.pause();
    this.pump();
  }

  private drop(reason: string, detail: Record<string, unknown> = {}): void {
    this.options.logger.warn({ connection: this.info, reason, ...detail }, 'closing client connection');
    this.destroy();
  }

  /** Starts handling the next complete frame if none is in flight. */
  private pump(): void {
    if (this.busy || this.destroyed || this.closing) return;
    const size = this.frames.peekSize();
    if (size === undefined) return;
    if (size < REQUEST_HEADER_BYTES_MIN || size > this.options.requestBytesMax) {
      this.drop(size < REQUEST_HEADER_BYTES_MIN ? 'frame_too_small' : 'frame_too_large', { size, limit: this.options.requestBytesMax });
      return;
    }
    if (this.frames.bytes < 4 + size) return;
    this.frames.take(4);
    const request = this.frames.take(size);
    if (this.frames.bytes <= CONNECTION_BUFFERED_BYTES_MAX && this.socket.isPaused()) this.socket.resume();
    this.busy = true;
    this.handle(request).then(
      () => {
        this.busy = false;
        if (this.closing) this.socket.end();
        else this.pump();
      },
      (err: unknown) => {
        // The connection boundary: a handler bug or hostile input ends this socket only.
        this.options.logger.error({ connection: this.info, err }, 'request handling failed; closing connection');
        this.busy = false;
        this.destroy();
      },
    );
  }

  private async handle(request: Buffer): Promise<void> {
    const outcome = await this.options.handler(request, this.info);
    if (this.destroyed) return;
    switch (outcome.kind) {
      case 'noReply':
        return;
      case 'close':
        this.drop(outcome.reason, outcome.detail);
        return;
      case 'reply':
        await this.write(outcome.response);
        return;
      default: {
        const unreachable: never = outcome;
        throw new Error(`unknown outcome ${JSON.stringify(unreachable)}`);
      }
    }
  }

  private async write(response: Buffer): Promise<void> {
    if (this.socket.destroyed) return;
    const size = Buffer.allocUnsafe(4);
    size.writeInt32BE(response.length, 0);
    countBytesOut(4 + response.length);
    this.socket.write(size);
    const flushed = this.socket.write(response);
    // Wait for the peer to take a big Fetch response before reading its next request. A peer that
    // goes away meanwhile ends the wait too (a reset or EPIPE is routine: the socket's error
    // listener notes it and 'close' follows); nothing is left to write then.
    if (!flushed && !this.destroyed) await this.drained();
  }

  private drained(): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done).off('close', done).off('error', done);
        resolve();
      };
      this.socket.once('drain', done).once('close', done).once('error', done);
    });
  }
}

export class KafkaServer {
  private readonly server: net.Server;
  private readonly connections = new Set<Connection>();
  private nextConnectionId = 1;
  private readonly options: KafkaServerOptions & { requestBytesMax: number };

  constructor(options: KafkaServerOptions) {
    this.options = { ...options, requestBytesMax: options.requestBytesMax ?? REQUEST_BYTES_MAX };
    this.server = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.server.maxConnections = options.connectionsMax ?? CONNECTIONS_MAX;
    this.server.on('drop', (data) => {
      this.options.logger.warn({ remote: data?.remoteAddress, limit: this.server.maxConnections }, 'connection refused: too many connections');
    });
  }

  /** Resolves with the bound address once listening (port 0 picks a free one). */
  async listen(): Promise<{ host: string; port: number }> {
    this.server.listen(this.options.port, this.options.host);
    await once(this.server, 'listening');
    // Accept failures after start (EMFILE and the like) must be logged, not crash the process.
    this.server.on('error', (err: NodeJS.ErrnoException) => {
      this.options.logger.error({ err, code: err.code }, 'TCP server error');
    });
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('TCP server has no port address');
    return { host: this.options.host, port: address.port };
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Stops accepting, lets in-flight requests answer for up to CLOSE_GRACE_MS, then destroys what is left. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const connection of this.connections) connection.shutdown();
    const grace = setTimeout(() => {
      for (const connection of this.connections) connection.destroy();
    }, CLOSE_GRACE_MS);
    grace.unref();
    await closed;
    clearTimeout(grace);
  }

  private accept(socket: net.Socket): void {
    const info: ConnectionInfo = {
      id: this.nextConnectionId++,
      remoteAddress: socket.remoteAddress ?? 'unknown',
      remotePort: socket.remotePort ?? 0,
    };
    const connection = new Connection(info, socket, {
      handler: this.options.handler,
      logger: this.options.logger,
      requestBytesMax: this.options.requestBytesMax,
    });
    this.connections.add(connection);
    socket.on('close', () => this.connections.delete(connection));
  }
}
