import { VectorError } from './vector-error.js';

/** The actor is known but may not do this (role too low, key revoked). */
export class ForbiddenError extends VectorError {
  /** The stable code of this error class. */
  static readonly code = 'FORBIDDEN';
  readonly code = 'FORBIDDEN';
  constructor(options: { message: string; details?: Record<string, unknown>; cause?: unknown }) {
    super('ForbiddenError', options);
  }
}
