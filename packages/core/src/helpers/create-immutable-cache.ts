import { LRUCache } from 'lru-cache';

/** Values that never change once made, by key; see {@link createImmutableCache}. */
export interface ImmutableCache<Value> {
  /** The value held for `key`, or undefined. */
  get(key: string): Value | undefined;
  /** The value already held for `key`, else `value`, kept unless it is too large to keep. */
  keep(key: string, value: Value): Value;
}

/** Options of {@link createImmutableCache}. */
export interface ImmutableCacheOptions<Value> {
  /** The most the cache holds, in the unit of `sizeOf`; 0 keeps nothing. */
  maxSize: number;
  /** A value's size (bytes, entries, …); at least 1 is counted. */
  sizeOf(value: Value): number;
  /** The largest share of `maxSize` one value may take, so one large value cannot flush the rest. */
  largestShare: number;
}

/**
 * A bounded, least-recently-used cache (on `lru-cache`) for values that can never go stale:
 * content-addressed objects, what an immutable version holds. The first value kept for a key
 * stays; whoever serves a value must still check that the caller may see it.
 */
export function createImmutableCache<Value extends object>(options: ImmutableCacheOptions<Value>): ImmutableCache<Value> {
  if (options.maxSize <= 0) return { get: () => undefined, keep: (_key, value) => value };
  const values = new LRUCache<string, Value>({
    maxSize: options.maxSize,
    sizeCalculation: (value) => Math.max(1, options.sizeOf(value)),
    maxEntrySize: Math.max(1, Math.floor(options.maxSize * options.largestShare)),
  });
  return {
    get: (key) => values.get(key),
    keep(key, value) {
      const held = values.get(key);
      if (held !== undefined) return held;
      values.set(key, value);
      return value;
    },
  };
}
