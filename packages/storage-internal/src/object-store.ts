import { InternalError } from '@vector/core';
import type { Kysely } from 'kysely';
import { packObject, unpackObject } from './object-compression.js';
import type { StorageDatabase } from './storage-schema.js';
import type { ObjectCache } from './object-cache.js';
import { decodeTree, type TreeEntry } from './tree-codec.js';

// Well under SQLite's and Postgres's bound-parameter limits, and keeps result sets modest.
const READ_CHUNK = 500;
const WRITE_CHUNK_ROWS = 200;
const WRITE_CHUNK_BYTES = 8 * 1024 * 1024;

/** An object ready to insert. */
export interface NewObject {
  hash: string;
  raw: Uint8Array;
}

/** Splits a list into chunks of at most `size`. */
export function chunked<T>(items: ReadonlyArray<T>, size: number): T[][] {
  const chunks: T[][] = [];
  for (let index = 0; index < items.length; index += size) chunks.push(items.slice(index, index + size));
  return chunks;
}

/**
 * Batched reads and writes of one project's objects. Reads take a whole set of hashes and
 * cost one query per {@link READ_CHUNK} hashes, never one per file.
 */
export interface ObjectStore {
  /** Decoded trees by hash; throws `InternalError` when one is missing (a damaged store). */
  loadTrees(hashes: Iterable<string>): Promise<Map<string, TreeEntry[]>>;
  /** Raw blob bytes by hash; throws `InternalError` when one is missing. */
  loadBlobs(hashes: Iterable<string>): Promise<Map<string, Uint8Array>>;
}

/** An {@link ObjectStore} over `db` (a Kysely instance or an open transaction). */
export function createObjectStore(db: Kysely<StorageDatabase>, projectId: string, treeCache?: Map<string, TreeEntry[]>, objectCache?: ObjectCache): ObjectStore {
  async function loadRaw(hashes: Iterable<string>, what: string): Promise<Map<string, Uint8Array>> {
    const wanted = [...new Set(hashes)];
    const found = new Map<string, Uint8Array>();
    const toRead: string[] = [];
    for (const hash of wanted) {
      const cached = objectCache?.get(projectId, hash);
      if (cached) found.set(hash, cached);
      else toRead.push(hash);
    }
    for (const chunk of chunked(toRead, READ_CHUNK)) {
      const rows = await db
        .selectFrom('vector_storage_objects')
        .select(['hash', 'compression', 'data'])
        .where('project_id', '=', projectId)
        .where('hash', 'in', chunk)
        .execute();
      const pending: Array<Promise<void>> = [];
      for (const row of rows) {
        const unpacked = unpackObject(row);
        const keep = (bytes: Uint8Array) => {
          found.set(row.hash, bytes);
          objectCache?.set(projectId, row.hash, bytes);
        };
        if (unpacked instanceof Uint8Array) keep(unpacked);
        // Large objects inflate on the zlib thread pool, in parallel.
        else pending.push(unpacked.then(keep));
      }
      await Promise.all(pending);
    }
    const missing = wanted.find((hash) => !found.has(hash));
    if (missing !== undefined) {
      throw new InternalError({ message: `Internal storage is missing ${what} ${missing} of project ${projectId}; the store is damaged or was garbage-collected while in use`, details: { projectId, hash: missing } });
    }
    return found;
  }

  return {
    async loadTrees(hashes) {
      const trees = new Map<string, TreeEntry[]>();
      const toLoad: string[] = [];
      for (const hash of hashes) {
        const cached = treeCache?.get(hash);
        if (cached) trees.set(hash, cached);
        else toLoad.push(hash);
      }
      if (toLoad.length === 0) return trees;
      for (const [hash, raw] of await loadRaw(toLoad, 'tree')) {
        const tree = decodeTree(hash, raw);
        treeCache?.set(hash, tree);
        trees.set(hash, tree);
      }
      return trees;
    },
    loadBlobs: (hashes) => loadRaw(hashes, 'blob'),
  };
}

/** A row ready to insert, compressed outside any transaction. */
export type PackedObjectRow = Omit<StorageObjectRow, 'touched_at'>;
type StorageObjectRow = { backend: string; project_id: string; hash: string; size: number; stored_bytes: number; compression: number; data: Uint8Array; touched_at: number };

/** Deduplicates objects by hash and compresses them. */
export async function packObjects(input: { backend: string; projectId: string; objects: ReadonlyArray<NewObject>; compress: boolean }): Promise<PackedObjectRow[]> {
  const unique = new Map(input.objects.map((object) => [object.hash, object]));
  const rows: PackedObjectRow[] = [];
  for (const object of unique.values()) {
    const packed = await packObject(object.raw, input.compress);
    rows.push({
      backend: input.backend,
      project_id: input.projectId,
      hash: object.hash,
      size: object.raw.byteLength,
      stored_bytes: packed.data.byteLength,
      compression: packed.compression,
      // Buffer is what both drivers bind as a BLOB / bytea.
      data: Buffer.from(packed.data.buffer, packed.data.byteOffset, packed.data.byteLength),
    });
  }
  return rows;
}

/**
 * Inserts packed objects in multi-row statements. An object that already exists is not
 * rewritten, only its `touched_at` is bumped, so a garbage collection that started earlier
 * keeps it.
 */
export async function insertObjects(db: Kysely<StorageDatabase>, rows: ReadonlyArray<PackedObjectRow>, touchedAt: number): Promise<void> {
  let batch: StorageObjectRow[] = [];
  let batchBytes = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    await db
      .insertInto('vector_storage_objects')
      .values(batch)
      .onConflict((conflict) => conflict.columns(['project_id', 'hash']).doUpdateSet((eb) => ({ touched_at: eb.ref('excluded.touched_at') })))
      .execute();
    batch = [];
    batchBytes = 0;
  };
  for (const row of rows) {
    if (batch.length >= WRITE_CHUNK_ROWS || (batch.length > 0 && batchBytes + row.stored_bytes > WRITE_CHUNK_BYTES)) await flush();
    batch.push({ ...row, touched_at: touchedAt });
    batchBytes += row.stored_bytes;
  }
  await flush();
}
