import { VectorError } from './vector-error.js';

/** No valid credentials were presented. */
export class UnauthorizedError extends VectorError {
  readonly code = 'UNAUTHORIZED';
  constructor(options: { message: string; cause?: unknown }) {
    super('UnauthorizedError', options);
  }
}
