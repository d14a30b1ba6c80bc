import { createImmutableCache } from '@vector/core';

/**
 * A bounded, least-recently-used cache of decoded objects (blob bytes and tree bytes) for one
 * storage instance. Objects are content-addressed and immutable, so a cached copy can never
 * be stale; callers get their own copy, so mutating a read never reaches the cache.
 */
export interface ObjectCache {
  get(projectId: string, hash: string): Uint8Array | undefined;
  set(projectId: string, hash: string, bytes: Uint8Array): void;
}

/** Creates a cache holding at most `maxBytes` (one object at most an eighth of it; 0 disables it). */
export function createObjectCache(maxBytes: number): ObjectCache {
  const objects = createImmutableCache<Uint8Array>({ maxSize: maxBytes, sizeOf: (bytes) => bytes.byteLength, largestShare: 1 / 8 });
  const keyOf = (projectId: string, hash: string) => `${projectId}\u0000${hash}`;
  return {
    get(projectId, hash) {
      const bytes = objects.get(keyOf(projectId, hash));
      return bytes === undefined ? undefined : new Uint8Array(bytes);
    },
    set(projectId, hash, bytes) {
      const key = keyOf(projectId, hash);
      if (objects.get(key) === undefined) objects.keep(key, new Uint8Array(bytes));
    },
  };
}
