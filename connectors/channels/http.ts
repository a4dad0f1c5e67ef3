/**
 * One HTTP exchange with a channel, classified by what it tells us about money: an answer,
 * surely-not-sent (connection refused: nothing reached the channel), or maybe-processed
 * (timeout, reset, cancel after the request left). Adapters turn these into results.
 */
import { ChannelError, type CallOptions, type ChannelId } from './types.ts';

export interface HttpAnswer {
  statusCode: number;
  headers: Headers;
  body: string;
}

/** Error codes (from Node and undici) that mean the request never reached the channel. */
const NOT_SENT_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

function causeCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Sends one request; resolves to the answer or rejects with a ChannelError saying whether money may have moved. */
export async function exchange(channelId: ChannelId, url: string, init: { method: string; headers: Record<string, string>; body?: string }, defaultTimeoutMs: number, options: CallOptions = {}): Promise<HttpAnswer> {
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  const signals = [AbortSignal.timeout(timeoutMs)];
  if (options.signal !== undefined) signals.push(options.signal);
  let response: Response;
  let body: string;
  try {
    response = await fetch(url, { method: init.method, headers: init.headers, body: init.body ?? null, signal: AbortSignal.any(signals) });
    body = await response.text();
  } catch (err) {
    const code = causeCode(err);
    if (code !== undefined && NOT_SENT_CODES.has(code)) {
      return Promise.reject(new ChannelError(channelId, 'channel_unavailable', `could not connect (${code})`, { charge: 'not_charged', cause: err }));
    }
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    return Promise.reject(new ChannelError(channelId, 'channel_timeout', timedOut ? `no answer within ${timeoutMs} ms` : `connection lost mid-call (${code ?? 'unknown'})`, { charge: 'unknown', cause: err }));
  }
  return { statusCode: response.status, headers: response.headers, body };
}

export function header(headers: Headers, name: string): string | undefined {
  return headers.get(name) ?? undefined;
}

/** Reads one header from an incoming request's header record (node lower-cases names). */
export function incomingHeader(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}
