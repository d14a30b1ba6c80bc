import { runMigrations, type SqlDialectName } from '@vector/core';
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';
import type { StorageDatabase } from './storage-schema.js';

// Migrations ship inside the bundle. Never edit a released migration: add a new one.
function migrations(dialect: SqlDialectName): Record<string, Migration> {
  const bytes = dialect === 'postgres' ? 'bytea' : 'blob';
  // SQLite integers are 64-bit already; Postgres needs bigint for millisecond timestamps.
  const millis = dialect === 'postgres' ? 'bigint' : 'integer';
  return {
    '0001_objects_and_versions': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('vector_storage_objects')
          .addColumn('project_id', 'text', (c) => c.notNull())
          .addColumn('hash', 'text', (c) => c.notNull())
          .addColumn('size', 'integer', (c) => c.notNull())
          .addColumn('stored_bytes', 'integer', (c) => c.notNull())
          .addColumn('compression', 'integer', (c) => c.notNull())
          .addColumn('data', bytes, (c) => c.notNull())
          .addColumn('touched_at', millis, (c) => c.notNull())
          .addPrimaryKeyConstraint('vector_storage_objects_pk', ['project_id', 'hash'])
          .execute();
        await db.schema.createIndex('vector_storage_objects_touched').on('vector_storage_objects').column('touched_at').execute();
        await db.schema
          .createTable('vector_storage_versions')
          .addColumn('ref', 'text', (c) => c.primaryKey())
          .addColumn('project_id', 'text', (c) => c.notNull())
          .addColumn('parent_ref', 'text')
          .addColumn('root_tree', 'text', (c) => c.notNull())
          .addColumn('file_count', 'integer', (c) => c.notNull())
          .addColumn('message', 'text', (c) => c.notNull())
          .addColumn('author_name', 'text', (c) => c.notNull())
          .addColumn('author_email', 'text', (c) => c.notNull())
          .addColumn('created_at', millis, (c) => c.notNull())
          .addColumn('touched_at', millis, (c) => c.notNull())
          .execute();
        await db.schema.createIndex('vector_storage_versions_project').on('vector_storage_versions').column('project_id').execute();
      },
    },
    // Several internal backends (different names) may share one database; garbage collection
    // must only ever sweep rows its own backend wrote. Rows from before this migration are
    // attributed to the default name, `internal`.
    '0002_backend_name': {
      async up(db: Kysely<unknown>) {
        for (const table of ['vector_storage_versions', 'vector_storage_objects']) {
          await db.schema
            .alterTable(table)
            .addColumn('backend', 'text', (c) => c.notNull().defaultTo('internal'))
            .execute();
        }
        await db.schema.createIndex('vector_storage_versions_backend').on('vector_storage_versions').columns(['backend', 'project_id']).execute();
        await db.schema.createIndex('vector_storage_objects_backend_touched').on('vector_storage_objects').columns(['backend', 'touched_at']).execute();
      },
    },
  };
}

/**
 * Brings this package's tables up to date. Idempotent and safe from several processes at
 * once, with its own bookkeeping tables (`vector_storage_migration*`) so it never interferes
 * with core's or another package's migrations in the same database.
 */
export function migrateStorageTables(db: Kysely<StorageDatabase>, dialect: SqlDialectName): Promise<void> {
  return runMigrations({ db, dialect }, { name: 'vector_storage', migrations: migrations(dialect) });
}
