/**
 * ApiVersions (key 18): v0–v2 answer the advertised table; any higher version gets the v0 error
 * body under a v0 header and the socket stays open (spec §1, KIP-511), which the dispatcher does
 * with encodeUnsupportedApiVersions before the version check.
 */
import { ErrorCode } from '../contracts.ts';
import { Writer } from '../protocol/primitives.ts';
import {
  API_KEY,
  VERSION,
  decodeApiVersionsRequest,
  encodeApiVersionsResponse,
  unsupportedApiVersionsResponse,
} from '../protocol/apis/api-versions.ts';
import type { ApiHandler } from './handler.ts';

export const API_VERSIONS_KEY = API_KEY;
export const API_VERSIONS_VERSION_MAX = VERSION;

/** The v0-encoded UNSUPPORTED_VERSION answer to an ApiVersions version above the max. */
export function encodeUnsupportedApiVersions(w: Writer): Writer {
  encodeApiVersionsResponse(w, unsupportedApiVersionsResponse(), 0);
  return w;
}

export const apiVersionsHandler: ApiHandler = {
  apiKey: API_KEY,
  version: VERSION,
  name: 'ApiVersions',
  run(ctx, body) {
    decodeApiVersionsRequest(body);
    const w = new Writer();
    encodeApiVersionsResponse(
      w,
      { errorCode: ErrorCode.NONE, apiKeys: ctx.broker.advertisedVersions(), throttleTimeMs: 0 },
      ctx.header.apiVersion,
    );
    return Promise.resolve(w.finish());
  },
};
