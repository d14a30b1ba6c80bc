import { sql } from 'kysely';
import { type Migration, Migrator } from 'kysely/migration';
import { InternalError } from '../errors/internal-error.js';
import type { VectorDatabaseConnection } from './create-database.js';

/** A named set of migrations owned by one package (core, a storage backend, the server). */
export interface MigrationSet {
  /** Prefix of the bookkeeping tables, e.g. `vector` → `vector_migration`, `vector_migration_lock`. */
  name: string;
  /** Migrations by name; applied in name order. Never edit a released one: add a new one. */
  migrations: Record<string, Migration>;
}

/**
 * Brings a package's tables up to date; safe to call from several processes at once (on
 * SQLite by retrying, since Kysely's lock does not span processes there).
 *
 * On PostgreSQL the bookkeeping tables are pinned to the connection's current schema: Kysely
 * otherwise looks for them in every schema and can mistake another schema's table (another
 * tenant database, a parallel test) for its own.
 */
export async function runMigrations(connection: Pick<VectorDatabaseConnection, 'db' | 'dialect'>, set: MigrationSet): Promise<void> {
  let migrationTableSchema: string | undefined;
  if (connection.dialect === 'postgres') {
    const result = await sql<{ schema: string }>`select current_schema() as schema`.execute(connection.db);
    migrationTableSchema = result.rows[0]?.schema;
  }
  const migrator = new Migrator({
    db: connection.db,
    provider: { getMigrations: async () => set.migrations },
    migrationTableName: `${set.name}_migration`,
    migrationLockTableName: `${set.name}_migration_lock`,
    ...(migrationTableSchema ? { migrationTableSchema } : {}),
  });
  let { error, results } = await migrator.migrateToLatest();
  // Kysely's migration lock does not span SQLite processes: when two start on one fresh file,
  // the loser sees "already exists"; migrating again then finds the work done. On PostgreSQL,
  // Kysely's look for its bookkeeping table lists every schema's tables, and fails with
  // invalid_schema_name (3F000) when another schema is dropped meanwhile (another tenant's
  // database, a parallel test): that look is worth another try too.
  const retryable = (failure: unknown) => connection.dialect === 'sqlite' || (failure as { code?: unknown } | null)?.code === '3F000';
  for (let attempt = 1; error && retryable(error) && attempt <= 5; attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    ({ error, results } = await migrator.migrateToLatest());
  }
  if (error) {
    const failed = results?.find((result) => result.status === 'Error');
    throw new InternalError({ message: `Migrating the ${set.name} tables failed${failed ? ` at ${failed.migrationName}` : ''}`, cause: error });
  }
}
