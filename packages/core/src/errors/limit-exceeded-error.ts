import { VectorError } from './vector-error.js';

/** A size, budget or rate limit was exceeded (file too large, token budget spent). */
export class LimitExceededError extends VectorError {
  /** The stable code of this error class. */
  static readonly code = 'LIMIT_EXCEEDED';
  readonly code = 'LIMIT_EXCEEDED';
  /** Which limit, e.g. `file_size`, `job_tokens`, `job_steps`. */
  readonly limit: string;
  constructor(options: { limit: string; message: string; details?: Record<string, unknown>; cause?: unknown }) {
    super('LimitExceededError', { ...options, details: { limit: options.limit, ...options.details } });
    this.limit = options.limit;
  }
}
