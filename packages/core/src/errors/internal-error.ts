import { VectorError } from './vector-error.js';

/** An unexpected failure inside Vector or a plugin; the cause holds the original error. */
export class InternalError extends VectorError {
  /** The stable code of this error class. */
  static readonly code = 'INTERNAL';
  readonly code = 'INTERNAL';
  constructor(options: { message: string; cause?: unknown; details?: Record<string, unknown> }) {
    super('InternalError', options);
  }
}
