import { NotFoundError, type SqlDialectName } from '@vector/core';
import type { Kysely } from 'kysely';
import type { ObjectCache } from './object-cache.js';
import type { StorageDatabase } from './storage-schema.js';

/** What every operation of one internal storage instance shares. */
export interface StorageContext {
  db: Kysely<StorageDatabase>;
  /** The backend's registry name, stored on every row it writes. */
  backendName: string;
  dialect: SqlDialectName;
  compress: boolean;
  /** Decoded objects shared by this instance's reads. */
  cache: ObjectCache;
  maxFileBytes: number;
  /** Milliseconds since the epoch; injectable for tests. */
  now(): number;
}

/** The root tree of `ref`, which must belong to `projectId`; else `NotFoundError`. */
export async function resolveRoot(db: Kysely<StorageDatabase>, projectId: string, ref: string): Promise<string> {
  const row = await db.selectFrom('vector_storage_versions').select('root_tree').where('ref', '=', ref).where('project_id', '=', projectId).executeTakeFirst();
  if (!row) throw new NotFoundError({ entity: 'version', id: ref, message: `Version ${ref.slice(0, 80)} does not exist in project ${projectId}'s internal storage` });
  return row.root_tree;
}
