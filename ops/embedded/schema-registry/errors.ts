/**
 * Registry failures in the Confluent Schema Registry error format: an HTTP status plus a body
 * `{ "error_code": N, "message": "..." }`, where N is the status followed by a detail digit
 * pair (40401 subject not found, 42201 invalid schema, ...). Clients branch on error_code.
 * Reference: https://docs.confluent.io/platform/current/schema-registry/develop/api.html#errors
 */
import { PaystreamError } from '../../../lib/errors.ts';

export const REGISTRY_ERRORS = {
  subject_not_found: { status: 404, errorCode: 40401 },
  version_not_found: { status: 404, errorCode: 40402 },
  schema_not_found: { status: 404, errorCode: 40403 },
  subject_soft_deleted: { status: 404, errorCode: 40404 },
  subject_compatibility_not_configured: { status: 404, errorCode: 40408 },
  incompatible_schema: { status: 409, errorCode: 409 },
  invalid_schema: { status: 422, errorCode: 42201 },
  invalid_version: { status: 422, errorCode: 42202 },
  invalid_compatibility_level: { status: 422, errorCode: 42203 },
  invalid_request: { status: 422, errorCode: 422 },
  store_error: { status: 500, errorCode: 50001 },
  store_timeout: { status: 500, errorCode: 50002 },
} as const;

export type RegistryErrorCode = keyof typeof REGISTRY_ERRORS;

export class RegistryError extends PaystreamError<RegistryErrorCode> {
  readonly status: number;
  readonly errorCode: number;

  constructor(code: RegistryErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, { retriable: code === 'store_error' || code === 'store_timeout', ...options });
    this.name = 'RegistryError';
    this.status = REGISTRY_ERRORS[code].status;
    this.errorCode = REGISTRY_ERRORS[code].errorCode;
  }

  /** The Confluent error body. */
  body(): { error_code: number; message: string } {
    return { error_code: this.errorCode, message: this.message };
  }
}
