/**
 * One HTTP exchange with a channel, classified by what it tells us about money: an answer,
 * surely-not-sent (connection refused: nothing reached the channel), or maybe-processed
 * (timeout, reset, cancel after the request may have left). Adapters turn these into results.
 * node:http with keep-alive agents rather than fetch: several times less CPU per call, which
 * matters when channel latency, not our CPU, should bound throughput.
 */
import http from 'node:http';
import https from 'node:https';
import { CHANNEL_ANSWER_BYTES_MAX, CHANNEL_IDLE_SOCKETS_MAX, CHANNEL_SOCKETS_MAX } from './limits.ts';
import { ChannelError, type CallOptions, type ChannelId } from './types.ts';

export type HeaderRecord = Record<string, string | string[] | undefined>;

export interface HttpAnswer {
  statusCode: number;
  headers: HeaderRecord;
  body: string;
}

const agentOptions = { keepAlive: true, maxSockets: CHANNEL_SOCKETS_MAX, maxFreeSockets: CHANNEL_IDLE_SOCKETS_MAX, scheduling: 'lifo' } as const;
const httpAgent = new http.Agent(agentOptions);
const httpsAgent = new https.Agent(agentOptions);

/** Error codes (from Node) that mean the request never reached the channel. */
const NOT_SENT_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

class CallTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'CallTimeout';
  }
}

class CallAborted extends Error {
  constructor() {
    super('call cancelled by the caller');
    this.name = 'CallAborted';
  }
}

function classify(channelId: ChannelId, err: unknown): ChannelError {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  if (typeof code === 'string' && NOT_SENT_CODES.has(code)) {
    return new ChannelError(channelId, 'channel_unavailable', `could not connect (${code})`, { charge: 'not_charged', cause: err });
  }
  if (err instanceof CallTimeout || err instanceof CallAborted) return new ChannelError(channelId, 'channel_timeout', err.message, { charge: 'unknown', cause: err });
  return new ChannelError(channelId, 'channel_timeout', `connection lost mid-call (${typeof code === 'string' ? code : 'unknown'})`, { charge: 'unknown', cause: err });
}

/** Sends one request; resolves to the answer or rejects with a ChannelError saying whether money may have moved. */
export function exchange(channelId: ChannelId, url: string, init: { method: string; headers: Record<string, string>; body?: string }, defaultTimeoutMs: number, options: CallOptions = {}): Promise<HttpAnswer> {
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  const target = new URL(url);
  const secure = target.protocol === 'https:';
  const body = init.body === undefined ? undefined : Buffer.from(init.body, 'utf8');
  return new Promise<HttpAnswer>((resolve, reject) => {
    if (options.signal?.aborted === true) return reject(classify(channelId, new CallAborted()));
    const headers: Record<string, string> = { ...init.headers, ...(body === undefined ? {} : { 'content-length': String(body.length) }) };
    const req = (secure ? https : http).request(target, { method: init.method, headers, agent: secure ? httpsAgent : httpAgent });
    const timer = setTimeout(() => req.destroy(new CallTimeout(timeoutMs)), timeoutMs);
    const onAbort = () => req.destroy(new CallAborted());
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    };
    req.on('error', (err) => {
      done();
      reject(classify(channelId, err));
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > CHANNEL_ANSWER_BYTES_MAX) {
          res.destroy(new ChannelError(channelId, 'malformed_response', `answer larger than ${CHANNEL_ANSWER_BYTES_MAX} bytes`, { charge: 'unknown' }));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => {
        done();
        resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', (err) => {
        done();
        reject(err instanceof ChannelError ? err : classify(channelId, err));
      });
    });
    req.end(body);
  });
}

/** One header value (node lower-cases incoming names). */
export function header(headers: HeaderRecord, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export const incomingHeader = header;
