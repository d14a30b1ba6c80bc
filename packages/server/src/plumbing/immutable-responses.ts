import { createHash } from 'node:crypto';
import { createImmutableCache, type ImmutableCache } from '@vector/core';

/** A serialized response body and the strong ETag of its bytes. */
export interface ImmutableResponse {
  body: string;
  etag: string;
}

/**
 * Serialized bodies of responses that can never change (what a version holds: versions are
 * immutable and ids never reused), by a key naming the resource and the variant. Serving one
 * skips building, validating and serializing it again; whoever serves one must still check that
 * the caller may see the resource. Bounded by bytes; the least recently used body goes first.
 */
export type ImmutableResponseCache = ImmutableCache<ImmutableResponse>;

/** Creates a cache holding at most `maxBytes` of bodies (one at most an eighth of it; 0 keeps none). */
export function createImmutableResponseCache(maxBytes: number): ImmutableResponseCache {
  // JavaScript strings hold two bytes a character.
  return createImmutableCache({ maxSize: maxBytes, sizeOf: (entry) => entry.body.length * 2, largestShare: 1 / 8 });
}

/** A body with the strong ETag of its bytes, ready to keep. */
export function immutableResponse(body: string): ImmutableResponse {
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"` };
}

/** Whether an `If-None-Match` header names `etag` (a list, or `*`). */
export function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}
