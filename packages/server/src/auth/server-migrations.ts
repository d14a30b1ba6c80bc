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
    /**
     * A personal key's member (a core user id): the key acts as that person, with the lesser of
     * `role` and their current role in the organization. Null for an organization's key.
     */
    user_id: string | null;
  };
  /** Invitations to join an organization: the token is shown once, only its hash is kept. */
  vector_server_invitations: {
    id: string;
    organization_id: string;
    /** Lower-case, as core stores users' emails. */
    email: string;
    /** The name the organization knows the person by, or null. */
    name: string | null;
    role: string;
    /** sha256 (hex) of the invitation token. */
    token_hash: string;
    /** `<actor type>:<actor id>` of whoever invited. */
    invited_by: string;
    created_at: string;
    expires_at: string;
    accepted_at: string | null;
    /** The user who accepted. */
    accepted_by: string | null;
    revoked_at: string | null;
  };
  /** Keys the server makes for itself (the stream tokens' signing key), shared by its processes. */
  vector_server_secrets: { name: string; value: string; created_at: string };
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
  '0002_identities': {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('vector_server_api_keys').addColumn('user_id', 'varchar(128)').execute();
      await db.schema.createIndex('vector_server_api_keys_user').on('vector_server_api_keys').columns(['organization_id', 'user_id']).execute();
      await db.schema
        .createTable('vector_server_invitations')
        .addColumn('id', 'varchar(64)', (column) => column.primaryKey())
        .addColumn('organization_id', 'varchar(128)', (column) => column.notNull())
        .addColumn('email', 'varchar(320)', (column) => column.notNull())
        .addColumn('name', 'varchar(200)')
        .addColumn('role', 'varchar(16)', (column) => column.notNull())
        .addColumn('token_hash', 'varchar(64)', (column) => column.notNull().unique())
        .addColumn('invited_by', 'varchar(220)', (column) => column.notNull())
        .addColumn('created_at', 'varchar(40)', (column) => column.notNull())
        .addColumn('expires_at', 'varchar(40)', (column) => column.notNull())
        .addColumn('accepted_at', 'varchar(40)')
        .addColumn('accepted_by', 'varchar(128)')
        .addColumn('revoked_at', 'varchar(40)')
        .execute();
      await db.schema.createIndex('vector_server_invitations_org').on('vector_server_invitations').columns(['organization_id', 'email']).execute();
      await db.schema
        .createTable('vector_server_secrets')
        .addColumn('name', 'varchar(100)', (column) => column.primaryKey())
        .addColumn('value', 'varchar(200)', (column) => column.notNull())
        .addColumn('created_at', 'varchar(40)', (column) => column.notNull())
        .execute();
    },
  },
};

/** Brings the server's tables up to date (idempotent, safe from several processes at once). */
export function migrateServerTables(connection: { db: Kysely<any>; dialect: SqlDialectName }): Promise<void> {
  return runMigrations(connection, { name: 'vector_server', migrations });
}
