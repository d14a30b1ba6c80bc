import { VectorError } from './vector-error.js';

/** The operation was cancelled (an AbortSignal fired, a job was cancelled). */
export class CancelledError extends VectorError {
  readonly code = 'CANCELLED';
  constructor(options: { message?: string; cause?: unknown } = {}) {
    super('CancelledError', { message: options.message ?? 'The operation was cancelled', cause: options.cause });
  }
}
