import { createImmutableCache, type ImmutableCache } from '../../helpers/create-immutable-cache.js';
import type { FileEntry } from '../../schemas/source-file.js';

/**
 * Listings of versions already read, by version id. A version never changes once written
 * (new content is always a new version, ids are never reused), so a cached listing is never
 * stale; whoever serves one must still check that the version is visible to the caller.
 * Listings are frozen, entries and array.
 */
export type FileListingCache = ImmutableCache<ReadonlyArray<FileEntry>>;

/** Creates a cache holding at most `maxEntries` file entries in all (a listing at most a quarter of them); 0 turns it off. */
export function createFileListingCache(maxEntries: number): FileListingCache {
  return createImmutableCache({ maxSize: maxEntries, sizeOf: (listing) => listing.length, largestShare: 1 / 4 });
}

/** A frozen copy of a listing, as the cache holds it. */
export function freezeListing(entries: ReadonlyArray<FileEntry>): ReadonlyArray<FileEntry> {
  return Object.freeze(entries.map((entry) => Object.freeze({ path: entry.path, size: entry.size, hash: entry.hash })));
}
