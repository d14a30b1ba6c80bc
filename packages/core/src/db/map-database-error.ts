import { ConflictError } from '../errors/conflict-error.js';
import { NotFoundError } from '../errors/not-found-error.js';
import { VectorError } from '../errors/vector-error.js';

/**
 * Turns a constraint violation from PostgreSQL or SQLite into the Vector error a caller can
 * act on: a unique violation (a concurrent duplicate) is a `ConflictError`, a foreign-key
 * violation (a referenced row vanished) a `NotFoundError`. Anything else is returned as is.
 */
export function mapDatabaseError(error: unknown): unknown {
  if (VectorError.isInstance(error) || typeof error !== 'object' || error === null) return error;
  const { code, errcode, message } = error as { code?: unknown; errcode?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : '';
  // PostgreSQL SQLSTATE 23505, SQLite SQLITE_CONSTRAINT_UNIQUE (2067) and _PRIMARYKEY (1555).
  if (code === '23505' || errcode === 2067 || errcode === 1555 || text.includes('UNIQUE constraint failed')) {
    return new ConflictError({ message: 'The write conflicts with one made at the same time (a duplicate); re-read and retry', cause: error });
  }
  // PostgreSQL 23503, SQLite SQLITE_CONSTRAINT_FOREIGNKEY (787).
  if (code === '23503' || errcode === 787 || text.includes('FOREIGN KEY constraint failed')) {
    return new NotFoundError({ entity: 'referenced entity', message: 'Something the write refers to no longer exists', cause: error });
  }
  return error;
}
