import { type RawBuilder, type SqlBool, sql } from 'kysely';
import { ValidationError } from '../../errors/validation-error.js';
import { type Page, type PageInput, pageInputSchema } from '../../schemas/common.js';
import { parseInput } from '../../errors/from-zod.js';

/** A decoded keyset cursor: the sort value and id of the last item of the previous page. */
export interface Cursor {
  key: string | number;
  id: string;
}

/**
 * Parses page input and decodes its cursor. `keyType` is the type of the list's sort key, so
 * a cursor from another list (or a forged one) is a validation error, not a database error.
 */
export function readPage(page: PageInput | undefined, keyType: 'string' | 'number' = 'string'): { limit: number; cursor: Cursor | null } {
  const parsed = parseInput(pageInputSchema, page ?? {}, 'page');
  if (!parsed.cursor) return { limit: parsed.limit, cursor: null };
  try {
    const decoded: unknown = JSON.parse(Buffer.from(parsed.cursor, 'base64url').toString('utf8'));
    if (Array.isArray(decoded) && decoded.length === 2 && typeof decoded[1] === 'string') {
      const [key, id] = decoded as [unknown, string];
      if (keyType === 'number' && typeof key === 'number' && Number.isSafeInteger(key) && key >= 0) return { limit: parsed.limit, cursor: { key, id } };
      if (keyType === 'string' && typeof key === 'string') return { limit: parsed.limit, cursor: { key, id } };
    }
  } catch {
    // fall through to the error below
  }
  throw new ValidationError({ message: 'Invalid page cursor: pass back the nextCursor of a previous page', issues: [{ path: ['cursor'], message: 'malformed cursor' }] });
}

/** Builds a page from `limit + 1` fetched rows. */
export function toPage<Row, Item>(rows: Row[], limit: number, map: (row: Row) => Item, keyOf: (row: Row) => Cursor): Page<Item> {
  const hasMore = rows.length > limit;
  const kept = hasMore ? rows.slice(0, limit) : rows;
  const last = kept.at(-1);
  const nextCursor = hasMore && last ? Buffer.from(JSON.stringify([keyOf(last).key, keyOf(last).id])).toString('base64url') : null;
  return { items: kept.map(map), nextCursor };
}

/**
 * The keyset condition for "rows after this cursor" in `(created_at, id)` order: a row-value
 * comparison, which SQLite and PostgreSQL both support and index.
 */
export function afterCreatedCursor(cursor: Cursor, direction: 'asc' | 'desc'): RawBuilder<SqlBool> {
  return sql<SqlBool>`(created_at, id) ${sql.raw(direction === 'asc' ? '>' : '<')} (${String(cursor.key)}, ${cursor.id})`;
}
