import { VectorError } from './vector-error.js';

/** The operation was cancelled (an AbortSignal fired, a job was cancelled). */
export class CancelledError extends VectorError {
  /** The stable code of this error class. */
  static readonly code = 'CANCELLED';
  readonly code = 'CANCELLED';
  constructor(options: { message?: string; cause?: unknown } = {}) {
    super('CancelledError', { message: options.message ?? 'The operation was cancelled', cause: options.cause });
  }
}
