import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';

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
export interface ImmutableResponseCache {
  get(key: string): ImmutableResponse | undefined;
  /** Keeps `body` (unless it is too large to keep) and answers it with its ETag. */
  set(key: string, body: string): ImmutableResponse;
}

/** Creates a cache holding at most `maxBytes` of bodies (0 keeps none). */
export function createImmutableResponseCache(maxBytes: number): ImmutableResponseCache {
  const withEtag = (body: string): ImmutableResponse => ({ body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"` });
  if (maxBytes <= 0) return { get: () => undefined, set: (_key, body) => withEtag(body) };
  const entries = new LRUCache<string, ImmutableResponse>({
    maxSize: maxBytes,
    // JavaScript strings hold two bytes a character.
    sizeCalculation: (entry) => Math.max(1, entry.body.length * 2),
    // One body may take at most an eighth of the cache, so one large version cannot flush it.
    maxEntrySize: Math.max(1, Math.floor(maxBytes / 8)),
  });
  return {
    get: (key) => entries.get(key),
    set(key, body) {
      const held = entries.get(key);
      if (held) return held;
      const entry = withEtag(body);
      entries.set(key, entry);
      return entry;
    },
  };
}

/** Whether an `If-None-Match` header names `etag` (a list, or `*`). */
export function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}
