import { VectorError } from './vector-error.js';

/** No valid credentials were presented. */
export class UnauthorizedError extends VectorError {
  /** The stable code of this error class. */
  static readonly code = 'UNAUTHORIZED';
  readonly code = 'UNAUTHORIZED';
  constructor(options: { message: string; cause?: unknown }) {
    super('UnauthorizedError', options);
  }
}
