import { VectorError } from './vector-error.js';

/**
 * The write was based on state that is no longer current: a version whose expected parent
 * is not the project's current version, a moved git ref, a duplicate unique key. Re-read
 * and retry; Vector never overwrites silently.
 */
export class ConflictError extends VectorError {
  /** The stable code of this error class. */
  static readonly code = 'CONFLICT';
  readonly code = 'CONFLICT';
  constructor(options: { message: string; details?: Record<string, unknown>; cause?: unknown }) {
    super('ConflictError', options);
  }
}
