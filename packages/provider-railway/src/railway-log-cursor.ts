import { ValidationError } from '@vector/core';
import { z } from 'zod';

const positionSchema = z.object({ at: z.string(), seen: z.number().int().min(0) }).nullable();
const cursorSchema = z.object({ build: positionSchema, runtime: positionSchema });

/**
 * Where log reading stopped, per stream: the newest timestamp returned and how many lines
 * with exactly that timestamp were already returned (Railway's `startDate` is inclusive, and
 * several lines can share a timestamp).
 */
export type RailwayLogCursor = z.infer<typeof cursorSchema>;

const PREFIX = 'rwlog1.';

/** The position before any log line. */
export const emptyLogCursor: RailwayLogCursor = { build: null, runtime: null };

/** Encodes a cursor as an opaque string. */
export function encodeLogCursor(cursor: RailwayLogCursor): string {
  return PREFIX + Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

/** Decodes a cursor; null means from the start. */
export function decodeLogCursor(cursor: string | null): RailwayLogCursor {
  if (cursor === null) return emptyLogCursor;
  const invalid = new ValidationError({ message: 'Not a Railway log cursor made by this provider', issues: [{ path: ['cursor'], message: 'unrecognised format' }] });
  if (!cursor.startsWith(PREFIX)) throw invalid;
  try {
    const parsed = cursorSchema.safeParse(JSON.parse(Buffer.from(cursor.slice(PREFIX.length), 'base64url').toString('utf8')));
    if (parsed.success) return parsed.data;
  } catch {
    // falls through to the typed error
  }
  throw invalid;
}

/**
 * Rewrites an RFC 3339 timestamp as UTC with nine fractional digits so that timestamps
 * compare correctly as strings (Railway sends nanosecond precision, variable length).
 */
export function timestampKey(timestamp: string): string {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/i.exec(timestamp.trim());
  if (!match) {
    const parsed = Date.parse(timestamp);
    return Number.isNaN(parsed) ? '0000-01-01T00:00:00.000000000Z' : `${new Date(parsed).toISOString().slice(0, 23)}000000Z`;
  }
  const [, seconds = '', fraction = '', zone = 'Z'] = match;
  const digits = fraction.padEnd(9, '0').slice(0, 9);
  if (zone.toUpperCase() === 'Z') return `${seconds}.${digits}Z`;
  // Offsets are rare in Railway output; convert via Date (sub-millisecond digits kept).
  const utc = new Date(Date.parse(`${seconds}${zone}`)).toISOString().slice(0, 19);
  return `${utc}.${digits}Z`;
}

/** Keeps the lines after `position` and returns them with the position after them. */
export function linesAfter<T extends { key: string }>(lines: ReadonlyArray<T>, position: RailwayLogCursor['build']): { lines: T[]; position: RailwayLogCursor['build'] } {
  const sorted = [...lines].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  let skip = position?.seen ?? 0;
  const fresh: T[] = [];
  for (const line of sorted) {
    if (position && line.key < position.at) continue;
    if (position && line.key === position.at && skip > 0) {
      skip -= 1;
      continue;
    }
    fresh.push(line);
  }
  const last = fresh.at(-1);
  if (!last) return { lines: [], position };
  const sameAsLast = sorted.filter((line) => line.key === last.key).length;
  return { lines: fresh, position: { at: last.key, seen: sameAsLast } };
}
