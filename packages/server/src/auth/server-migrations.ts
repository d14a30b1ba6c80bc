import { runMigrations, type SqlDialectName } from '@vector/core';
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/** The server's own tables, beside the engine's `vector_` ones. */
export interface ServerDatabase {
  vector_server_api_keys: {
    id: string;
    organization_id: string;
    name: string;
    role: string;
    /** sha256 (hex) of the key; the key itself is shown once and never stored. */
    key_hash: string;
    /** The first characters of the key, so people can tell keys apart. */
    prefix: string;
    created_by: string;
    created_at: string;
    last_used_at: string | null;
    revoked_at: string | null;
  };
}

// Versioned like core's: never edit a released migration, add a new one.
const migrations: Record<string, Migration> = {
  '0001_api_keys': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('vector_server_api_keys')
        .addColumn('id', 'varchar(64)', (column) => column.primaryKey())
        .addColumn('organization_id', 'varchar(128)', (column) => column.notNull())
        .addColumn('name', 'varchar(200)', (column) => column.notNull())
        .addColumn('role', 'varchar(16)', (column) => column.notNull())
        .addColumn('key_hash', 'varchar(64)', (column) => column.notNull().unique())
        .addColumn('prefix', 'varchar(32)', (column) => column.notNull())
        .addColumn('created_by', 'varchar(200)', (column) => column.notNull())
        .addColumn('created_at', 'varchar(40)', (column) => column.notNull())
        .addColumn('last_used_at', 'varchar(40)')
        .addColumn('revoked_at', 'varchar(40)')
        .execute();
      await db.schema.createIndex('vector_server_api_keys_org').on('vector_server_api_keys').column('organization_id').execute();
    },
  },
};

/** Brings the server's tables up to date (idempotent, safe from several processes at once). */
export function migrateServerTables(connection: { db: Kysely<any>; dialect: SqlDialectName }): Promise<void> {
  return runMigrations(connection, { name: 'vector_server', migrations });
}
