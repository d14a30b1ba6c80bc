import { InternalError, type SqlDialectName } from '@vector/core';
import { type Kysely, sql } from 'kysely';
import { type Migration, type MigrationProvider, Migrator } from 'kysely/migration';
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
  };
}

/**
 * Brings this package's tables up to date. Idempotent and safe from several processes at
 * once (Kysely's migration lock), with its own migration tables so it never interferes with
 * core's or another package's migrations in the same database.
 *
 * On PostgreSQL the bookkeeping tables are pinned to the connection's current schema: Kysely
 * otherwise looks for them in every schema and can take another schema's tables (another
 * tenant, a parallel test run, a schema being dropped) for its own.
 */
export async function migrateStorageTables(db: Kysely<StorageDatabase>, dialect: SqlDialectName): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => migrations(dialect) };
  let migrationTableSchema: string | undefined;
  if (dialect === 'postgres') {
    const result = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
    migrationTableSchema = result.rows[0]?.schema ?? undefined;
  }
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: 'vector_storage_migration',
    migrationLockTableName: 'vector_storage_migration_lock',
    ...(migrationTableSchema ? { migrationTableSchema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((result) => result.status === 'Error');
    throw new InternalError({ message: `Migrating the internal storage tables failed${failed ? ` at ${failed.migrationName}` : ''}`, cause: error });
  }
}
