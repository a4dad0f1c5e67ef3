/**
 * Expected failures carry a stable code, a retriable flag and a cause; code branches on `code`,
 * never on the message. Broken invariants are bugs: use node:assert and let them crash.
 */
export class PaystreamError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly retriable: boolean;

  constructor(code: Code, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PaystreamError';
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}

export type ConfigErrorCode = 'config_invalid';

/** One configuration setting failed validation; the message names the variable and what it expects. */
export class ConfigError extends PaystreamError<ConfigErrorCode> {
  readonly variable: string;

  constructor(variable: string, expected: string, got: string | undefined) {
    const shown = got === undefined ? 'nothing' : JSON.stringify(got.length > 80 ? `${got.slice(0, 80)}…` : got);
    super('config_invalid', `${variable} must be ${expected}; got ${shown}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

/** Several settings failed; all are reported at once so an operator fixes them in one go. */
export class ConfigErrors extends PaystreamError<ConfigErrorCode> {
  readonly errors: readonly ConfigError[];

  constructor(errors: readonly ConfigError[]) {
    super('config_invalid', `invalid configuration:\n  ${errors.map((e) => e.message).join('\n  ')}`);
    this.name = 'ConfigErrors';
    this.errors = errors;
  }
}
