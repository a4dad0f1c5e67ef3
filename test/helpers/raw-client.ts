/**
 * A raw Kafka connection for tests that must send what no client library sends: replayed
 * batches, chosen sequence numbers and epochs, unsupported versions, garbage. Requests are
 * answered in order on one socket (the broker handles one request at a time per connection).
 * Versions are those the broker advertises (see the broker spec's version table).
 */
import { connect, type Socket } from 'node:net';
import { ApiKey, Reader, Writer, frameRequest } from './raw-wire.ts';
import { withTimeout } from './wait.ts';

/** Frames larger than this from the broker are a test failure, not something to buffer. */
const RESPONSE_BYTES_MAX = 64 * 1024 * 1024;
const REQUEST_TIMEOUT_MS_DEFAULT = 10_000;

interface Pending {
  correlationId: number;
  resolve: (body: Reader) => void;
  reject: (err: Error) => void;
}

export class ConnectionClosedError extends Error {
  readonly code = 'connection_closed' as const;
}

export class RawConnection {
  private buffered: Buffer = Buffer.alloc(0);
  private pending: Pending[] = [];
  private nextCorrelationId = 1;
  private closedFlag = false;
  readonly closed: Promise<void>;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk) => this.onData(chunk));
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.closedFlag = true;
        for (const p of this.pending.splice(0)) p.reject(new ConnectionClosedError(`connection closed before response ${p.correlationId}`));
        resolve();
      });
    });
    // Errors (ECONNRESET after the broker closes on garbage) surface as 'close'.
    socket.on('error', () => undefined);
  }

  static open(host: string, port: number, timeoutMs = REQUEST_TIMEOUT_MS_DEFAULT): Promise<RawConnection> {
    return withTimeout(
      new Promise<RawConnection>((resolve, reject) => {
        const socket = connect({ host, port });
        socket.setNoDelay(true);
        socket.once('error', reject);
        socket.once('connect', () => {
          socket.off('error', reject);
          resolve(new RawConnection(socket));
        });
      }),
      timeoutMs,
      `connect to ${host}:${port}`,
    );
  }

  static fromBootstrap(bootstrap: string): Promise<RawConnection> {
    const i = bootstrap.lastIndexOf(':');
    return RawConnection.open(bootstrap.slice(0, i), Number(bootstrap.slice(i + 1)));
  }

  get isClosed(): boolean {
    return this.closedFlag;
  }

  /** Sends a request and resolves with the response body (after the correlation id). */
  request(apiKey: number, apiVersion: number, body: Buffer, timeoutMs = REQUEST_TIMEOUT_MS_DEFAULT): Promise<Reader> {
    const correlationId = this.nextCorrelationId++;
    const frame = frameRequest(apiKey, apiVersion, correlationId, 'raw-test', body);
    const response = new Promise<Reader>((resolve, reject) => {
      if (this.closedFlag) {
        reject(new ConnectionClosedError('connection already closed'));
        return;
      }
      this.pending.push({ correlationId, resolve, reject });
      this.socket.write(frame);
    });
    return withTimeout(response, timeoutMs, `response to api ${apiKey} v${apiVersion} (correlation ${correlationId})`);
  }

  /** Sends a request that gets no response (Produce with acks=0). Returns its correlation id. */
  send(apiKey: number, apiVersion: number, body: Buffer): number {
    const correlationId = this.nextCorrelationId++;
    this.socket.write(frameRequest(apiKey, apiVersion, correlationId, 'raw-test', body));
    return correlationId;
  }

  /** Writes arbitrary bytes (fuzzing). */
  writeRaw(bytes: Buffer): void {
    if (!this.closedFlag) this.socket.write(bytes);
  }

  /** Number of response frames received that matched no request. */
  unexpectedFrames = 0;

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 4) {
      const size = this.buffered.readInt32BE(0);
      if (size < 4 || size > RESPONSE_BYTES_MAX) {
        this.socket.destroy(new Error(`bad response frame size ${size}`));
        return;
      }
      if (this.buffered.length < 4 + size) return;
      const frame = this.buffered.subarray(4, 4 + size);
      this.buffered = this.buffered.subarray(4 + size);
      const correlationId = frame.readInt32BE(0);
      const index = this.pending.findIndex((p) => p.correlationId === correlationId);
      if (index < 0) {
        this.unexpectedFrames += 1;
        continue;
      }
      const [p] = this.pending.splice(index, 1);
      const body = new Reader(Buffer.from(frame.subarray(4)));
      p?.resolve(body);
    }
  }
}

// ---- Request bodies and response decoders for the versions the broker implements ----------

export interface ApiVersionRange {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

export async function apiVersions(conn: RawConnection, version: 0 | 1 | 2): Promise<{ errorCode: number; apis: ApiVersionRange[]; throttleMs?: number }> {
  const r = await conn.request(ApiKey.ApiVersions, version, Buffer.alloc(0));
  const errorCode = r.int16();
  const apis = r.array((x) => ({ apiKey: x.int16(), minVersion: x.int16(), maxVersion: x.int16() })) ?? [];
  const throttleMs = version >= 1 ? r.int32() : undefined;
  return { errorCode, apis, ...(throttleMs === undefined ? {} : { throttleMs }) };
}

export async function metadata(
  conn: RawConnection,
  topics: string[] | null,
  allowAutoCreate: boolean,
): Promise<{ brokers: Array<{ nodeId: number; host: string; port: number }>; controllerId: number; topics: Array<{ errorCode: number; name: string; partitions: number[] }> }> {
  const body = new Writer().array(topics, (w, t) => w.string(t)).int8(allowAutoCreate ? 1 : 0).build();
  const r = await conn.request(ApiKey.Metadata, 4, body);
  r.int32();
  const brokers = r.array((x) => {
    const nodeId = x.int32();
    const host = x.string() ?? '';
    const port = x.int32();
    x.string();
    return { nodeId, host, port };
  }) ?? [];
  r.string();
  const controllerId = r.int32();
  const topicList = r.array((x) => {
    const errorCode = x.int16();
    const name = x.string() ?? '';
    x.int8();
    const partitions = x.array((p) => {
      p.int16();
      const index = p.int32();
      p.int32();
      p.array((q) => q.int32());
      p.array((q) => q.int32());
      return index;
    }) ?? [];
    return { errorCode, name, partitions };
  }) ?? [];
  return { brokers, controllerId, topics: topicList };
}

export async function initProducerId(conn: RawConnection, transactionalId: string | null, transactionTimeoutMs: number): Promise<{ errorCode: number; producerId: number; producerEpoch: number }> {
  const body = new Writer().string(transactionalId).int32(transactionTimeoutMs).build();
  const r = await conn.request(ApiKey.InitProducerId, 0, body);
  r.int32();
  return { errorCode: r.int16(), producerId: r.int64(), producerEpoch: r.int16() };
}

export async function findCoordinator(conn: RawConnection, key: string, keyType: 0 | 1): Promise<{ errorCode: number; nodeId: number; host: string; port: number }> {
  const r = await conn.request(ApiKey.FindCoordinator, 1, new Writer().string(key).int8(keyType).build());
  r.int32();
  const errorCode = r.int16();
  r.string();
  return { errorCode, nodeId: r.int32(), host: r.string() ?? '', port: r.int32() };
}

export function produceBody(topic: string, partition: number, batch: Buffer, options: { acks?: number; timeoutMs?: number; transactionalId?: string | null } = {}): Buffer {
  return new Writer()
    .string(options.transactionalId ?? null)
    .int16(options.acks ?? -1)
    .int32(options.timeoutMs ?? 5000)
    .array([topic], (w, t) => w.string(t).array([partition], (w2, p) => w2.int32(p).bytes(batch)))
    .build();
}

export async function produce(
  conn: RawConnection,
  topic: string,
  partition: number,
  batch: Buffer,
  options: { acks?: number; timeoutMs?: number; transactionalId?: string | null } = {},
): Promise<{ errorCode: number; baseOffset: number }> {
  const r = await conn.request(ApiKey.Produce, 3, produceBody(topic, partition, batch, options));
  const topics = r.array((x) => ({ name: x.string(), parts: x.array((p) => ({ partition: p.int32(), errorCode: p.int16(), baseOffset: p.int64(), logAppendTime: p.int64() })) ?? [] })) ?? [];
  r.int32();
  const part = topics[0]?.parts[0];
  if (part === undefined) throw new Error(`produce response without partition: ${JSON.stringify(topics)}`);
  return { errorCode: part.errorCode, baseOffset: part.baseOffset };
}

export interface FetchedPartition {
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  aborted: Array<{ producerId: number; firstOffset: number }> | null;
  records: Buffer;
}

export async function fetch(
  conn: RawConnection,
  topic: string,
  partition: number,
  fetchOffset: number,
  options: { isolation?: 0 | 1; maxWaitMs?: number; minBytes?: number; maxBytes?: number; partitionMaxBytes?: number; timeoutMs?: number } = {},
): Promise<FetchedPartition> {
  const body = new Writer()
    .int32(-1)
    .int32(options.maxWaitMs ?? 0)
    .int32(options.minBytes ?? 1)
    .int32(options.maxBytes ?? 10 * 1024 * 1024)
    .int8(options.isolation ?? 0)
    .array([topic], (w, t) => w.string(t).array([partition], (w2, p) => w2.int32(p).int64(fetchOffset).int32(options.partitionMaxBytes ?? 1024 * 1024)))
    .build();
  const r = await conn.request(ApiKey.Fetch, 4, body, options.timeoutMs);
  r.int32();
  const topics = r.array((x) => {
    x.string();
    return x.array((p) => {
      p.int32();
      const errorCode = p.int16();
      const highWatermark = p.int64();
      const lastStableOffset = p.int64();
      const aborted = p.array((a) => ({ producerId: a.int64(), firstOffset: a.int64() }));
      const records = Buffer.from(p.bytes() ?? Buffer.alloc(0));
      return { errorCode, highWatermark, lastStableOffset, aborted, records };
    }) ?? [];
  }) ?? [];
  const part = topics[0]?.[0];
  if (part === undefined) throw new Error('fetch response without partition');
  return part;
}

/** ListOffsets v2 for one partition; timestamp -2 earliest, -1 latest. */
export async function listOffset(conn: RawConnection, topic: string, partition: number, timestamp: number, isolation: 0 | 1 = 0): Promise<{ errorCode: number; offset: number }> {
  const body = new Writer()
    .int32(-1)
    .int8(isolation)
    .array([topic], (w, t) => w.string(t).array([partition], (w2, p) => w2.int32(p).int64(timestamp)))
    .build();
  const r = await conn.request(ApiKey.ListOffsets, 2, body);
  r.int32();
  const topics = r.array((x) => {
    x.string();
    return x.array((p) => {
      p.int32();
      const errorCode = p.int16();
      p.int64();
      return { errorCode, offset: p.int64() };
    }) ?? [];
  }) ?? [];
  const part = topics[0]?.[0];
  if (part === undefined) throw new Error('list offsets response without partition');
  return part;
}

export async function createTopic(conn: RawConnection, name: string, partitions: number, configs: Record<string, string> = {}): Promise<number> {
  const body = new Writer()
    .array([name], (w, n) =>
      w
        .string(n)
        .int32(partitions)
        .int16(1)
        .array([], () => undefined)
        .array(Object.entries(configs), (w2, [k, v]) => w2.string(k).string(v)),
    )
    .int32(5000)
    .build();
  const r = await conn.request(ApiKey.CreateTopics, 0, body);
  const results = r.array((x) => ({ name: x.string(), errorCode: x.int16() })) ?? [];
  const first = results[0];
  if (first === undefined) throw new Error('create topics response without topic');
  return first.errorCode;
}

export async function addPartitionsToTxn(conn: RawConnection, transactionalId: string, producerId: number, producerEpoch: number, topic: string, partition: number): Promise<number> {
  const body = new Writer()
    .string(transactionalId)
    .int64(producerId)
    .int16(producerEpoch)
    .array([topic], (w, t) => w.string(t).array([partition], (w2, p) => w2.int32(p)))
    .build();
  const r = await conn.request(ApiKey.AddPartitionsToTxn, 0, body);
  r.int32();
  const topics = r.array((x) => {
    x.string();
    return x.array((p) => ({ partition: p.int32(), errorCode: p.int16() })) ?? [];
  }) ?? [];
  const part = topics[0]?.[0];
  if (part === undefined) throw new Error('add partitions response without partition');
  return part.errorCode;
}

export async function endTxn(conn: RawConnection, transactionalId: string, producerId: number, producerEpoch: number, commit: boolean): Promise<number> {
  const body = new Writer().string(transactionalId).int64(producerId).int16(producerEpoch).int8(commit ? 1 : 0).build();
  const r = await conn.request(ApiKey.EndTxn, 0, body);
  r.int32();
  return r.int16();
}

export async function heartbeat(conn: RawConnection, groupId: string, generationId: number, memberId: string): Promise<number> {
  const r = await conn.request(ApiKey.Heartbeat, 0, new Writer().string(groupId).int32(generationId).string(memberId).build());
  return r.int16();
}

export interface JoinResult {
  errorCode: number;
  generationId: number;
  protocolName: string;
  leaderId: string;
  memberId: string;
  members: Array<{ memberId: string; metadata: Buffer }>;
}

/** JoinGroup v1 with protocol type "consumer"; parks on the broker until the join phase ends. */
export async function joinGroup(
  conn: RawConnection,
  groupId: string,
  memberId: string,
  options: { sessionTimeoutMs?: number; rebalanceTimeoutMs?: number; protocols?: Array<{ name: string; metadata: Buffer }>; protocolType?: string; timeoutMs?: number } = {},
): Promise<JoinResult> {
  const protocols = options.protocols ?? [{ name: 'range', metadata: Buffer.alloc(0) }];
  const body = new Writer()
    .string(groupId)
    .int32(options.sessionTimeoutMs ?? 6_000)
    .int32(options.rebalanceTimeoutMs ?? 3_000)
    .string(memberId)
    .string(options.protocolType ?? 'consumer')
    .array(protocols, (w, p) => w.string(p.name).bytes(p.metadata))
    .build();
  const r = await conn.request(ApiKey.JoinGroup, 1, body, options.timeoutMs ?? 20_000);
  const errorCode = r.int16();
  const generationId = r.int32();
  const protocolName = r.string() ?? '';
  const leaderId = r.string() ?? '';
  const ownId = r.string() ?? '';
  const members = r.array((x) => ({ memberId: x.string() ?? '', metadata: Buffer.from(x.bytes() ?? Buffer.alloc(0)) })) ?? [];
  return { errorCode, generationId, protocolName, leaderId, memberId: ownId, members };
}

export async function syncGroup(
  conn: RawConnection,
  groupId: string,
  generationId: number,
  memberId: string,
  assignments: Array<{ memberId: string; assignment: Buffer }>,
  timeoutMs = 20_000,
): Promise<{ errorCode: number; assignment: Buffer }> {
  const body = new Writer()
    .string(groupId)
    .int32(generationId)
    .string(memberId)
    .array(assignments, (w, a) => w.string(a.memberId).bytes(a.assignment))
    .build();
  const r = await conn.request(ApiKey.SyncGroup, 0, body, timeoutMs);
  return { errorCode: r.int16(), assignment: Buffer.from(r.bytes() ?? Buffer.alloc(0)) };
}

export async function leaveGroup(conn: RawConnection, groupId: string, memberId: string): Promise<number> {
  const r = await conn.request(ApiKey.LeaveGroup, 0, new Writer().string(groupId).string(memberId).build());
  return r.int16();
}

export interface OffsetEntry {
  topic: string;
  partition: number;
  offset: number;
  metadata?: string | null;
}

function byTopic<T extends { topic: string }>(entries: T[]): Array<[string, T[]]> {
  const grouped = new Map<string, T[]>();
  for (const e of entries) grouped.set(e.topic, [...(grouped.get(e.topic) ?? []), e]);
  return [...grouped];
}

/** OffsetCommit v2; returns the error code per topic-partition as "topic:partition" → code. */
export async function offsetCommit(conn: RawConnection, groupId: string, generationId: number, memberId: string, entries: OffsetEntry[]): Promise<Map<string, number>> {
  const body = new Writer()
    .string(groupId)
    .int32(generationId)
    .string(memberId)
    .int64(-1)
    .array(byTopic(entries), (w, [topic, parts]) => w.string(topic).array(parts, (w2, p) => w2.int32(p.partition).int64(p.offset).string(p.metadata ?? null)))
    .build();
  const r = await conn.request(ApiKey.OffsetCommit, 2, body);
  const out = new Map<string, number>();
  r.array((x) => {
    const topic = x.string() ?? '';
    x.array((p) => out.set(`${topic}:${p.int32()}`, p.int16()));
  });
  return out;
}

/** OffsetFetch v3; topics null asks for every committed partition. */
export async function offsetFetch(conn: RawConnection, groupId: string, topics: Array<{ topic: string; partitions: number[] }> | null): Promise<{ errorCode: number; offsets: Array<OffsetEntry & { errorCode: number }> }> {
  const body = new Writer()
    .string(groupId)
    .array(topics, (w, t) => w.string(t.topic).array(t.partitions, (w2, p) => w2.int32(p)))
    .build();
  const r = await conn.request(ApiKey.OffsetFetch, 3, body);
  r.int32();
  const offsets: Array<OffsetEntry & { errorCode: number }> = [];
  r.array((x) => {
    const topic = x.string() ?? '';
    x.array((p) => offsets.push({ topic, partition: p.int32(), offset: p.int64(), metadata: p.string(), errorCode: p.int16() }));
  });
  return { offsets, errorCode: r.int16() };
}

export async function addOffsetsToTxn(conn: RawConnection, transactionalId: string, producerId: number, producerEpoch: number, groupId: string): Promise<number> {
  const r = await conn.request(ApiKey.AddOffsetsToTxn, 0, new Writer().string(transactionalId).int64(producerId).int16(producerEpoch).string(groupId).build());
  r.int32();
  return r.int16();
}

/** TxnOffsetCommit v0; returns the error code per "topic:partition". */
export async function txnOffsetCommit(conn: RawConnection, transactionalId: string, groupId: string, producerId: number, producerEpoch: number, entries: OffsetEntry[]): Promise<Map<string, number>> {
  const body = new Writer()
    .string(transactionalId)
    .string(groupId)
    .int64(producerId)
    .int16(producerEpoch)
    .array(byTopic(entries), (w, [topic, parts]) => w.string(topic).array(parts, (w2, p) => w2.int32(p.partition).int64(p.offset).string(p.metadata ?? null)))
    .build();
  const r = await conn.request(ApiKey.TxnOffsetCommit, 0, body);
  r.int32();
  const out = new Map<string, number>();
  r.array((x) => {
    const topic = x.string() ?? '';
    x.array((p) => out.set(`${topic}:${p.int32()}`, p.int16()));
  });
  return out;
}

/** AddPartitionsToTxn v0 over several topics; returns the error code per "topic:partition". */
export async function addPartitionsToTxnMany(conn: RawConnection, transactionalId: string, producerId: number, producerEpoch: number, partitions: Array<{ topic: string; partition: number }>): Promise<Map<string, number>> {
  const body = new Writer()
    .string(transactionalId)
    .int64(producerId)
    .int16(producerEpoch)
    .array(byTopic(partitions), (w, [topic, parts]) => w.string(topic).array(parts, (w2, p) => w2.int32(p.partition)))
    .build();
  const r = await conn.request(ApiKey.AddPartitionsToTxn, 0, body);
  r.int32();
  const out = new Map<string, number>();
  r.array((x) => {
    const topic = x.string() ?? '';
    x.array((p) => out.set(`${topic}:${p.int32()}`, p.int16()));
  });
  return out;
}
