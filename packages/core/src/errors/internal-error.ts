import { VectorError } from './vector-error.js';

/** An unexpected failure inside Vector or a plugin; the cause holds the original error. */
export class InternalError extends VectorError {
  readonly code = 'INTERNAL';
  constructor(options: { message: string; cause?: unknown; details?: Record<string, unknown> }) {
    super('InternalError', options);
  }
}
