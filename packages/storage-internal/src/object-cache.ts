import { LRUCache } from 'lru-cache';

/**
 * A bounded, least-recently-used cache of decoded objects (blob bytes and tree bytes) for one
 * storage instance. Objects are content-addressed and immutable, so a cached copy can never
 * be stale; callers get their own copy, so mutating a read never reaches the cache.
 */
export interface ObjectCache {
  get(projectId: string, hash: string): Uint8Array | undefined;
  set(projectId: string, hash: string, bytes: Uint8Array): void;
}

/** Creates a cache holding at most `maxBytes` (0 disables it). */
export function createObjectCache(maxBytes: number): ObjectCache {
  if (maxBytes <= 0) return { get: () => undefined, set: () => undefined };
  const entries = new LRUCache<string, Uint8Array>({
    maxSize: maxBytes,
    sizeCalculation: (bytes) => Math.max(1, bytes.byteLength),
    // One object may take at most an eighth of the cache, so a large file cannot flush it.
    maxEntrySize: Math.max(1, Math.floor(maxBytes / 8)),
  });
  return {
    get(projectId, hash) {
      const bytes = entries.get(`${projectId}\u0000${hash}`);
      return bytes === undefined ? undefined : new Uint8Array(bytes);
    },
    set(projectId, hash, bytes) {
      const key = `${projectId}\u0000${hash}`;
      if (!entries.has(key)) entries.set(key, new Uint8Array(bytes));
    },
  };
}
