import { promisify } from 'node:util';
import { deflateRaw, deflateRawSync, inflateRaw, inflateRawSync } from 'node:zlib';
import { InternalError } from '@vector/core';

/** How an object's bytes are stored. Codes are persisted: never reuse one. */
export const ObjectCompression = { none: 0, deflate: 1 } as const;

const deflateAsync = promisify(deflateRaw);
const inflateAsync = promisify(inflateRaw);

// Small objects compress faster on the calling thread than via the zlib thread pool; large
// ones go to the pool so a 25 MiB file does not stall the event loop.
const SYNC_LIMIT = 256 * 1024;

/** Bytes as stored plus the compression code used. */
export interface PackedObject {
  compression: number;
  data: Uint8Array;
}

/**
 * Compresses with raw deflate (what git uses for loose objects) when that saves space;
 * already-compressed content (images, fonts, archives) is kept as is.
 */
export async function packObject(raw: Uint8Array, compress: boolean): Promise<PackedObject> {
  if (!compress || raw.byteLength < 64) return { compression: ObjectCompression.none, data: raw };
  const packed = raw.byteLength <= SYNC_LIMIT ? deflateRawSync(raw) : await deflateAsync(raw);
  if (packed.byteLength >= raw.byteLength) return { compression: ObjectCompression.none, data: raw };
  return { compression: ObjectCompression.deflate, data: asUint8Array(packed) };
}

/**
 * Reverses {@link packObject}. Returns the bytes directly when that is cheap (stored raw, or
 * small enough to inflate on the calling thread), a promise otherwise, so reading a thousand
 * small files does not pay a thousand promise round trips.
 */
export function unpackObject(object: PackedObject & { hash: string }): Uint8Array | Promise<Uint8Array> {
  const data = asUint8Array(object.data);
  switch (object.compression) {
    case ObjectCompression.none:
      return data;
    case ObjectCompression.deflate:
      return data.byteLength <= SYNC_LIMIT / 4 ? asUint8Array(inflateRawSync(data)) : inflateAsync(data).then(asUint8Array);
    default:
      throw new InternalError({ message: `Stored object ${object.hash} uses unknown compression code ${object.compression}; upgrade @vector/storage-internal` });
  }
}

/** A plain Uint8Array view (drivers hand back Buffers; callers compare typed arrays). */
export function asUint8Array(bytes: Uint8Array): Uint8Array {
  return bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
