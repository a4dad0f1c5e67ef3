/**
 * Expected failures of the coordinators' persistence. Protocol-level outcomes are not errors:
 * they are Kafka error codes returned as values (contracts.ts ErrorCode).
 */
import { PaystreamError } from '../../../../lib/errors.ts';

export type CoordinatorErrorCode = 'journal_corrupt' | 'journal_line_too_large' | 'producer_ids_corrupt' | 'producer_ids_exhausted';

/** A coordinator state file cannot be read back; starting anyway could reuse ids or lose offsets. */
export class CoordinatorStateError extends PaystreamError<CoordinatorErrorCode> {
  readonly file: string;

  constructor(code: CoordinatorErrorCode, file: string, message: string, cause?: unknown) {
    super(code, `${file}: ${message}`, cause === undefined ? {} : { cause });
    this.name = 'CoordinatorStateError';
    this.file = file;
  }
}
