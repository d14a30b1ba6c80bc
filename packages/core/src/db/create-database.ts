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
  maxConnections: z.number().int().min(1).max(200).default(10),
});

/**
 * Opens a PostgreSQL database through `pg` (an optional peer dependency, loaded lazily).
 */
export async function createPostgresDatabase(options: z.input<typeof postgresOptionsSchema>): Promise<VectorDatabaseConnection> {
  const parsed = parseInput(postgresOptionsSchema, options, 'PostgreSQL options');
  const pg = await import('pg');
  const Pool = pg.default?.Pool ?? pg.Pool;
  if (parsed.schema) {
    const setup = new Pool({ connectionString: parsed.connectionString, max: 1 });
    try {
      await setup.query(`CREATE SCHEMA IF NOT EXISTS "${parsed.schema}"`);
    } finally {
      await setup.end();
    }
  }
  const pool = new Pool({
    connectionString: parsed.connectionString,
    max: parsed.maxConnections,
    ...(parsed.schema ? { options: `-c search_path=${parsed.schema}` } : {}),
  });
  // An idle client whose connection dies (a restart, a failover) makes the pool emit 'error';
  // unhandled, that would crash the process. The pool replaces the client on the next query.
  pool.on('error', () => undefined);
  const db = new Kysely({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', destroy: () => db.destroy() };
}
