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
