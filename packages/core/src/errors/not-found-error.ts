import { VectorError, type VectorErrorOptions } from './vector-error.js';

/** The entity does not exist, or exists in another organization (never say which). */
export class NotFoundError extends VectorError {
  /** The stable code of this error class. */
  static readonly code = 'NOT_FOUND';
  readonly code = 'NOT_FOUND';
  /** The kind of entity looked up, e.g. `project`. */
  readonly entity: string;
  constructor(options: { entity: string; id?: string; cause?: unknown; message?: string }) {
    const base: VectorErrorOptions = {
      message: options.message ?? `${options.entity} ${options.id ?? ''} was not found`.replace(/\s+/g, ' ').trim(),
      details: { entity: options.entity, ...(options.id === undefined ? {} : { id: options.id }) },
      cause: options.cause,
    };
    super('NotFoundError', base);
    this.entity = options.entity;
  }
}
