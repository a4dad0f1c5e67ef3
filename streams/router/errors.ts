/** The router's typed errors; codes are stable and used by the CLI and admin API to answer. */
import { PaystreamError } from '../../lib/errors.ts';

export type RouterErrorCode =
  /** A rule failed validation; `issues` lists every problem found. */
  | 'rule_invalid'
  /** A write named a version that is not above the stored one. */
  | 'rule_version_conflict'
  | 'rule_not_found'
  /** The config topics could not be read to their end in time at start. */
  | 'config_catch_up_timeout';

export class RouterError extends PaystreamError<RouterErrorCode> {
  readonly issues: readonly string[];

  constructor(code: RouterErrorCode, message: string, options: { retriable?: boolean; cause?: unknown; issues?: readonly string[] } = {}) {
    super(code, message, options);
    this.name = 'RouterError';
    this.issues = options.issues ?? [];
  }
}
