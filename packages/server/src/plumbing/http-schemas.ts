import { fileDeleteInputSchema, fileInputSchema } from '@vector/core';
import { z } from 'zod';

/** The error answer, as documented in OpenAPI. */
export const errorBodySchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }),
});

/** Error answers every authenticated route may give. */
export const errorResponses = {
  400: errorBodySchema,
  401: errorBodySchema,
  403: errorBodySchema,
  404: errorBodySchema,
  409: errorBodySchema,
  422: errorBodySchema,
  429: errorBodySchema,
  502: errorBodySchema,
} as const;

/** `?limit=&cursor=` on every list route. */
export const pageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(500).optional(),
});

/** A page of `item`s with the cursor of the next page (null at the end). */
export function pageOf<Item extends z.ZodType>(item: Item) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

/**
 * The largest value of an `integer` column (PostgreSQL's int4). Event sequences and step
 * indexes never exceed it, so a larger position asked for in a query means the same as this one
 * (PostgreSQL refuses to compare an integer column with a larger parameter).
 */
export const maxSqlInteger = 2_147_483_647;

/** An id in a path. */
export const idParam = z.string().min(1).max(128);

/**
 * A file crossing the API: core's {@link fileInputSchema} with text content only (JSON has no
 * bytes), UTF-8 text or base64 for binary content.
 */
export const fileBodySchema = fileInputSchema.extend({ content: z.string() });

/** A write (a {@link fileBodySchema} with `type: 'write'`) or a delete in a `changes` list. */
export const fileChangeBodySchema = z.discriminatedUnion('type', [fileBodySchema.extend({ type: z.literal('write') }), fileDeleteInputSchema]);

/** At most this many files or changes per upload over HTTP (core allows 100,000 to its callers). */
export const maxFilesPerUpload = 10_000;

/**
 * A registered plugin's name (provider, storage backend, agent type) in a body. Core refuses
 * names that are not registered; the HTTP API also caps their length.
 */
export const pluginNameBody = z.string().min(1).max(100);

/**
 * A number in a query string, checked by `schema` (core's own field, with its bounds): the
 * text is turned into a number first. Absent stays absent, so core's default applies; text
 * that is not a number fails `schema` (400).
 */
export function numberFromQuery<Schema extends z.ZodType>(schema: Schema) {
  return z.preprocess((value) => (typeof value === 'string' && value.trim() !== '' ? Number(value) : value), schema).optional();
}

/**
 * A list in a query string, checked by `schema` (core's own array field): comma-separated
 * (`?groupBy=day,model`), repeated (`?groupBy=day&groupBy=model`) or both. Blank items are
 * dropped, so an empty value (`?groupBy=`) is the empty list; absent stays absent (core's default).
 */
export function listFromQuery<Schema extends z.ZodType>(schema: Schema) {
  const split = (value: unknown): unknown => {
    if (typeof value === 'string') return value.split(',').map((item) => item.trim()).filter((item) => item !== '');
    if (Array.isArray(value)) return value.flatMap((item) => (typeof item === 'string' ? (split(item) as string[]) : [item]));
    return value;
  };
  return z.preprocess(split, schema).optional();
}
