import { VectorError } from './vector-error.js';

/** One problem found in an input, with the path to the offending field. */
export interface ValidationIssue {
  path: ReadonlyArray<string | number>;
  message: string;
}

/** The input is malformed. `issues` lists every problem found, not just the first. */
export class ValidationError extends VectorError {
  /** The stable code of this error class. */
  static readonly code = 'VALIDATION_FAILED';
  readonly code = 'VALIDATION_FAILED';
  readonly issues: ReadonlyArray<ValidationIssue>;
  constructor(options: { message: string; issues?: ReadonlyArray<ValidationIssue>; cause?: unknown }) {
    const issues = options.issues ?? [];
    super('ValidationError', { message: options.message, cause: options.cause, details: { issues } });
    this.issues = issues;
  }
}
