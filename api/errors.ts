/**
 * The API's expected failures: each has a stable `code` (what clients branch on), an HTTP status
 * and a human `detail`. They leave the API as RFC 9457 problem documents
 * (https://www.rfc-editor.org/rfc/rfc9457) built in plugins/problem.ts.
 */
import { PaystreamError } from '../lib/errors.ts';
import { UNAVAILABLE_RETRY_AFTER_S } from './limits.ts';

export const API_ERRORS = {
  invalid_request: { status: 400, title: 'The request is invalid' },
  invalid_json: { status: 400, title: 'The body is not valid JSON' },
  idempotency_key_missing: { status: 400, title: 'An Idempotency-Key header is required' },
  idempotency_key_invalid: { status: 400, title: 'The Idempotency-Key header is invalid' },
  auth_header_missing: { status: 401, title: 'A signature header is missing' },
  auth_header_invalid: { status: 401, title: 'A signature header is malformed' },
  timestamp_skew: { status: 401, title: 'The signed timestamp is too far from the server clock' },
  nonce_reused: { status: 401, title: 'The nonce was already used' },
  signature_invalid: { status: 401, title: 'The key is unknown or the signature does not match' },
  not_found: { status: 404, title: 'No such resource' },
  payment_not_found: { status: 404, title: 'No such payment' },
  idempotency_key_in_use: { status: 409, title: 'A request with this Idempotency-Key is still in flight' },
  duplicate_merchant_order: { status: 409, title: 'A payment with this merchantOrderId already exists' },
  body_too_large: { status: 413, title: 'The body is too large' },
  unsupported_media_type: { status: 415, title: 'The content type is not supported' },
  idempotency_key_reuse: { status: 422, title: 'The Idempotency-Key was used with another request' },
  currency_unsupported: { status: 422, title: 'The currency is not supported' },
  amount_above_limit: { status: 422, title: 'The amount is above the limit for its currency' },
  payment_not_captured: { status: 409, title: 'The payment has not been captured' },
  refund_exceeds_captured: { status: 422, title: 'The refunds would exceed the captured amount' },
  rate_limited: { status: 429, title: 'Too many requests' },
  service_unavailable: { status: 503, title: 'A dependency is unavailable; retry later' },
  internal: { status: 500, title: 'Internal error' },
} as const;

export type ApiErrorCode = keyof typeof API_ERRORS;

export class ApiError extends PaystreamError<ApiErrorCode> {
  readonly status: number;
  /** Extra members of the problem document, e.g. the existing paymentId of a duplicate. */
  readonly extensions: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(code: ApiErrorCode, detail: string, options: { cause?: unknown; extensions?: Record<string, unknown>; headers?: Record<string, string> } = {}) {
    super(code, detail, { retriable: code === 'service_unavailable' || code === 'rate_limited' || code === 'idempotency_key_in_use', cause: options.cause });
    this.name = 'ApiError';
    this.status = API_ERRORS[code].status;
    this.extensions = options.extensions ?? {};
    this.headers = options.headers ?? {};
  }
}

export type Dependency = 'redis' | 'postgres' | 'kafka';

export function unavailable(dependency: Dependency, cause: unknown): ApiError {
  return new ApiError('service_unavailable', `${dependency} is unavailable; nothing was accepted`, {
    cause,
    extensions: { dependency },
    headers: { 'retry-after': String(UNAVAILABLE_RETRY_AFTER_S) },
  });
}

/**
 * Awaits a call to a dependency; any failure of it becomes a 503 naming the dependency. Our own
 * ApiErrors pass through unchanged.
 */
export async function guarded<T>(dependency: Dependency, work: Promise<T> | (() => Promise<T>)): Promise<T> {
  try {
    return await (typeof work === 'function' ? work() : work);
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw unavailable(dependency, err);
  }
}
