import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import { z } from 'zod';
import { parseInput } from '../errors/from-zod.js';
import { createNodeSqliteDatabase } from './node-sqlite-database.js';

/** Which SQL dialect a Vector database speaks; stores branch on it for the few differences. */
export type SqlDialectName = 'sqlite' | 'postgres';

/** A Kysely instance plus the facts stores need about it. */
export interface VectorDatabaseConnection {
  // Each package declares its own table types, so the shared handle is untyped here.
  // biome-ignore lint/suspicious/noExplicitAny: deliberately schema-agnostic
  db: Kysely<any>;
  dialect: SqlDialectName;
  /** Closes the connection or pool. */
  destroy(): Promise<void>;
}

const sqliteOptionsSchema = z.object({
  /** File path, or `:memory:`. */
  path: z.string().min(1),
});

/** Opens the embedded default database (SQLite via `node:sqlite`). */
export function createSqliteDatabase(options: z.input<typeof sqliteOptionsSchema>): VectorDatabaseConnection {
  const { path } = parseInput(sqliteOptionsSchema, options, 'SQLite options');
  const db = new Kysely({ dialect: new SqliteDialect({ database: createNodeSqliteDatabase(path) }) });
  return { db, dialect: 'sqlite', destroy: () => db.destroy() };
}

const postgresOptionsSchema = z.object({
  connectionString: z.string().regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL'),
  /** Schema for Vector's tables (created if missing); defaults to the server's search_path. */
  schema: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/).optional(),
  /** The most connections the pool opens at once. */
  maxConnections: z.number().int().min(1).max(200).default(10),
  /** `application_name` of every connection (PostgreSQL keeps the first 63 bytes), shown in `pg_stat_activity`. */
  applicationName: z.string().min(1).max(63).optional(),
});

/** Options of {@link createPostgresDatabase}. */
export interface PostgresDatabaseOptions {
  /** `postgres://…`; a parameter given in it (such as `application_name`) wins over the options below. */
  connectionString: string;
  /** Schema for Vector's tables, created if missing; default: the server's `search_path`. */
  schema?: string | undefined;
  /** The most connections the pool opens at once (1–200). Default 10. */
  maxConnections?: number | undefined;
  /** `application_name` of every connection, to tell them apart in `pg_stat_activity`. Default: the driver's (none). */
  applicationName?: string | undefined;
}

/**
 * Opens a PostgreSQL database through `pg` (an optional peer dependency, loaded lazily): a
 * pool of at most `maxConnections` connections, opened as they are needed.
 *
 * Safe to call from several processes at once on a fresh database: the schema is created under
 * a transaction-scoped advisory lock, so concurrent starts wait for one another instead of
 * colliding on PostgreSQL's catalog (`CREATE SCHEMA IF NOT EXISTS` alone is not safe against a
 * concurrent twin). Migrations are serialized by {@link runMigrations}.
 */
export async function createPostgresDatabase(options: PostgresDatabaseOptions): Promise<VectorDatabaseConnection> {
  const parsed = parseInput(postgresOptionsSchema, options, 'PostgreSQL options');
  const pg = await import('pg');
  const Pool = pg.default?.Pool ?? pg.Pool;
  const applicationName = parsed.applicationName ? { application_name: parsed.applicationName } : {};
  if (parsed.schema) {
    const setup = new Pool({ connectionString: parsed.connectionString, max: 1, ...applicationName });
    setup.on('error', () => undefined);
    try {
      const client = await setup.connect();
      try {
        await client.query('begin');
        await client.query(`select pg_advisory_xact_lock(hashtext('vector.create-schema.' || $1))`, [parsed.schema]);
        await client.query(`create schema if not exists "${parsed.schema}"`);
        await client.query('commit');
      } catch (error) {
        await client.query('rollback').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    } finally {
      await setup.end();
    }
  }
  const pool = new Pool({
    connectionString: parsed.connectionString,
    max: parsed.maxConnections,
    ...applicationName,
    ...(parsed.schema ? { options: `-c search_path=${parsed.schema}` } : {}),
  });
  // An idle client whose connection dies (a restart, a failover) makes the pool emit 'error';
  // unhandled, that would crash the process. The pool replaces the client on the next query.
  pool.on('error', () => undefined);
  const db = new Kysely({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', destroy: () => db.destroy() };
}
