import { VectorError } from './vector-error.js';

/** The plugin does not declare the capability this call needs. */
export class UnsupportedError extends VectorError {
  readonly code = 'UNSUPPORTED';
  constructor(options: { message: string; details?: Record<string, unknown>; cause?: unknown }) {
    super('UnsupportedError', options);
  }
}
