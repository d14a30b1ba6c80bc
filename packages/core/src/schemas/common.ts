import { z } from 'zod';

/** An opaque entity id (Vector generates UUIDs; plugins must not assume the format). */
export const idSchema = z.string().min(1).max(128);
/** An ISO-8601 UTC timestamp, as stored and returned everywhere. */
export const timestampSchema = z.string().datetime({ offset: true });
/** Free-form JSON object stored alongside an entity. */
export const jsonObjectSchema = z.record(z.string(), z.unknown());

/** Who performed a mutation; recorded in the audit log. */
export const actorSchema = z.object({
  /** `deployment`: a deployed app, through its data token. */
  type: z.enum(['user', 'api_key', 'agent', 'system', 'deployment']),
  id: z.string().min(1).max(200),
});
/** Who performed a mutation. */
export type Actor = z.infer<typeof actorSchema>;

/** Cursor pagination input shared by every list call. */
export const pageInputSchema = z.object({
  limit: z.number().int().min(1).max(500).default(50),
  cursor: z.string().max(500).nullish(),
});
/** Cursor pagination input. */
export type PageInput = z.input<typeof pageInputSchema>;

/** One page of results; pass `nextCursor` back to get the next page (null at the end). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
