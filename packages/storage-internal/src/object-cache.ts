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
  const entries = new Map<string, Uint8Array>();
  let total = 0;
  // One object may take at most an eighth of the cache, so a large file cannot flush it.
  const largest = Math.floor(maxBytes / 8);
  return {
    get(projectId, hash) {
      const key = `${projectId}\u0000${hash}`;
      const bytes = entries.get(key);
      if (bytes === undefined) return undefined;
      entries.delete(key);
      entries.set(key, bytes);
      return new Uint8Array(bytes);
    },
    set(projectId, hash, bytes) {
      if (bytes.byteLength > largest) return;
      const key = `${projectId}\u0000${hash}`;
      if (entries.has(key)) return;
      entries.set(key, new Uint8Array(bytes));
      total += bytes.byteLength;
      for (const [oldest, value] of entries) {
        if (total <= maxBytes) break;
        entries.delete(oldest);
        total -= value.byteLength;
      }
    },
  };
}
