import { defineStorageBackend, parseInput, type StorageBackendV1, type VectorDatabaseConnection } from '@vector/core';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { collectGarbage } from './collect-garbage.js';
import { diffVersions } from './diff-versions.js';
import { getFile, getFiles, listFiles } from './read-files.js';
import { saveVersion } from './save-version.js';
import type { StorageContext } from './storage-context.js';
import { createObjectCache } from './object-cache.js';
import { migrateStorageTables } from './storage-migrations.js';
import type { StorageDatabase } from './storage-schema.js';

/** Default largest file: 25 MiB. */
export const DEFAULT_MAX_FILE_BYTES = 25 * 1024 * 1024;

// Postgres caps a bytea value at 1 GiB; stay well below so a row is always writable.
const MAX_MAX_FILE_BYTES = 512 * 1024 * 1024;

/** Options of {@link createInternalStorage}. */
export interface InternalStorageOptions {
  /** The database to keep files in (from core's `createSqliteDatabase` / `createPostgresDatabase`); may be the one the engine uses. Not closed by `dispose()`. */
  database: VectorDatabaseConnection;
  /** Registry name. Default `internal`. */
  name?: string;
  /** Largest file accepted, in bytes; larger writes throw `LimitExceededError`. Default 25 MiB, at most 512 MiB. */
  maxFileBytes?: number;
  /** Deflate-compress blobs and trees when that saves space. Default `true`. */
  compression?: boolean;
  /** Bytes of decoded blobs and trees kept in memory for reads (immutable, so never stale). Default 64 MiB; 0 turns it off. */
  cacheBytes?: number;
  /** Clock used to stamp saves for garbage collection. Default `() => new Date()`; for tests. */
  now?: () => Date;
}

/** The internal storage backend: the v1 storage contract with garbage collection. */
export type InternalStorage = StorageBackendV1 & Required<Pick<StorageBackendV1, 'init' | 'deleteProject' | 'collectGarbage'>>;

const optionsSchema = z.object({
  database: z.custom<VectorDatabaseConnection>(
    (value) => typeof value === 'object' && value !== null && 'db' in value && ['sqlite', 'postgres'].includes((value as { dialect?: unknown }).dialect as string),
    'expected a VectorDatabaseConnection from createSqliteDatabase or createPostgresDatabase',
  ),
  name: z.string().default('internal'),
  maxFileBytes: z.number().int().positive().max(MAX_MAX_FILE_BYTES).default(DEFAULT_MAX_FILE_BYTES),
  compression: z.boolean().default(true),
  cacheBytes: z.number().int().min(0).max(8 * 1024 * 1024 * 1024).default(64 * 1024 * 1024),
  now: z.custom<() => Date>((value) => typeof value === 'function', 'expected a function').optional(),
});

/**
 * Creates a storage backend that keeps code versions in Vector's own database (SQLite or
 * PostgreSQL through Kysely), content-addressed like git: each distinct file content is
 * stored once per project, each directory is a tree object keyed by the hash of its
 * entries, and a version is a root tree. Saving a version that changes k of n files writes
 * k blobs plus the trees on their paths, never O(n) rows.
 *
 * @example
 * ```ts
 * const database = createSqliteDatabase({ path: 'vector.db' });
 * const vector = createVector({ database, storage: [createInternalStorage({ database })] });
 * ```
 */
export function createInternalStorage(options: InternalStorageOptions): InternalStorage {
  const parsed = parseInput(optionsSchema, options, 'internal storage options');
  const clock = parsed.now ?? (() => new Date());
  const context: StorageContext = {
    // The connection is schema-agnostic by design; this package only touches its own tables.
    db: parsed.database.db as Kysely<StorageDatabase>,
    backendName: parsed.name,
    dialect: parsed.database.dialect,
    compress: parsed.compression,
    cache: createObjectCache(parsed.cacheBytes),
    maxFileBytes: parsed.maxFileBytes,
    now: () => clock().getTime(),
  };

  let migrated: Promise<void> | null = null;
  // Core calls init() first; methods also wait for it so direct use works the same.
  const ready = (): Promise<void> => {
    migrated ??= migrateStorageTables(context.db, context.dialect).catch((error: unknown) => {
      migrated = null;
      throw error;
    });
    return migrated;
  };
  const afterMigration =
    <Input, Output>(operation: (context: StorageContext, input: Input) => Promise<Output>) =>
    async (input: Input): Promise<Output> => {
      await ready();
      return operation(context, input);
    };

  return defineStorageBackend({
    specificationVersion: 'v1',
    name: parsed.name,
    capabilities: { binary: true, garbageCollection: true, gitSource: false, maxFileBytes: parsed.maxFileBytes },
    init: ready,
    async dispose() {
      // The database belongs to the caller, who closes it.
    },
    async deleteProject({ project }) {
      await ready();
      await context.db.transaction().execute(async (trx) => {
        await trx.deleteFrom('vector_storage_versions').where('project_id', '=', project.id).execute();
        await trx.deleteFrom('vector_storage_objects').where('project_id', '=', project.id).execute();
      });
    },
    saveVersion: afterMigration(saveVersion),
    getFiles: afterMigration(getFiles),
    getFile: afterMigration(getFile),
    listFiles: afterMigration(listFiles),
    diffVersions: afterMigration(diffVersions),
    collectGarbage: afterMigration(collectGarbage),
  });
}
