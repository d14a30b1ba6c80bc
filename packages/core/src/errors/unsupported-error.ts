import { VectorError } from './vector-error.js';

/** The plugin does not declare the capability this call needs. */
export class UnsupportedError extends VectorError {
  /** The stable code of this error class. */
  static readonly code = 'UNSUPPORTED';
  readonly code = 'UNSUPPORTED';
  constructor(options: { message: string; details?: Record<string, unknown>; cause?: unknown }) {
    super('UnsupportedError', options);
  }
}
