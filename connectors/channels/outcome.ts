/** Turning a ChannelError into the result the executor acts on. */
import { ChannelError, type AmbiguousResult, type ChannelId, type ErrorResult } from './types.ts';

export function failed(error: ChannelError): ErrorResult | AmbiguousResult {
  return error.charge === 'not_charged' ? { status: 'error', charged: false, error } : { status: 'ambiguous', error };
}

/** Runs a call; an expected ChannelError becomes a result, anything else is a bug and propagates. */
export async function settle<T>(call: () => Promise<T>): Promise<T | ErrorResult | AmbiguousResult> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof ChannelError) return failed(err);
    throw err;
  }
}

/** The answer arrived but cannot be trusted or read: the request may have been processed. */
export function malformed(channelId: ChannelId, what: string, cause?: unknown): ChannelError {
  return new ChannelError(channelId, 'malformed_response', what, { charge: 'unknown', cause });
}

export function badSignature(channelId: ChannelId, what: string): ChannelError {
  return new ChannelError(channelId, 'bad_signature', what, { charge: 'unknown' });
}

/** 5xx: the channel says it did not process the request. */
export function unavailable(channelId: ChannelId, statusCode: number): ChannelError {
  return new ChannelError(channelId, 'channel_unavailable', `answered ${statusCode}`, { charge: 'not_charged' });
}

/** 4xx: the channel refused the request as invalid; nothing was processed. */
export function rejected(channelId: ChannelId, statusCode: number, detail: string): ChannelError {
  return new ChannelError(channelId, 'invalid_request', `refused the request (${statusCode} ${detail})`, { charge: 'not_charged' });
}

export function unsupported(channelId: ChannelId, what: string): ChannelError {
  return new ChannelError(channelId, 'unsupported', what, { charge: 'not_charged' });
}
