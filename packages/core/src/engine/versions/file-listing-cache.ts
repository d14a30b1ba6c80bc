import { LRUCache } from 'lru-cache';
import type { FileEntry } from '../../schemas/source-file.js';

/**
 * Listings of versions already read, by version id. A version never changes once written
 * (new content is always a new version, ids are never reused), so a cached listing is never
 * stale; whoever serves one must still check that the version is visible to the caller.
 * Bounded by the number of file entries held; the least recently used listing goes first.
 */
export interface FileListingCache {
  /** The listing (frozen entries in a frozen array), or undefined. */
  get(versionId: string): ReadonlyArray<FileEntry> | undefined;
  /** Keeps a listing; returns the frozen copy now held (or a frozen copy when it is too large to hold). */
  set(versionId: string, entries: ReadonlyArray<FileEntry>): ReadonlyArray<FileEntry>;
}

/** Creates a cache holding at most `maxEntries` file entries in all; 0 turns it off. */
export function createFileListingCache(maxEntries: number): FileListingCache {
  const freeze = (entries: ReadonlyArray<FileEntry>) => Object.freeze(entries.map((entry) => Object.freeze({ path: entry.path, size: entry.size, hash: entry.hash })));
  if (maxEntries <= 0) return { get: () => undefined, set: (_versionId, entries) => freeze(entries) };
  const listings = new LRUCache<string, ReadonlyArray<FileEntry>>({
    maxSize: maxEntries,
    sizeCalculation: (listing) => Math.max(1, listing.length),
    // One listing may take at most a quarter of the cache, so one huge version cannot flush it.
    maxEntrySize: Math.max(1, Math.floor(maxEntries / 4)),
  });
  return {
    get: (versionId) => listings.get(versionId),
    set(versionId, entries) {
      const held = listings.get(versionId);
      if (held) return held;
      const frozen = freeze(entries);
      listings.set(versionId, frozen);
      return frozen;
    },
  };
}
