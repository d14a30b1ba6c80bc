import { randomBytes } from 'node:crypto';
import { describe } from 'vitest';
import { createPostgresDatabase, createSqliteDatabase, type VectorDatabaseConnection } from '../db/create-database.js';

/** A database a test suite can run on. */
export interface TestDatabase {
  name: 'sqlite' | 'postgres';
  /** True when the database is not available (no TEST_DATABASE_URL): skip, never pass. */
  skip: boolean;
  /**
   * A fresh, empty database. SQLite: in memory. PostgreSQL: a new schema on the server named
   * by `TEST_DATABASE_URL`, dropped again by `destroy()`, so test files never share tables.
   */
  create(): Promise<VectorDatabaseConnection>;
}

/** SQLite always; PostgreSQL when `TEST_DATABASE_URL` is set (otherwise marked skip). */
export function testDatabases(): TestDatabase[] {
  const url = process.env.TEST_DATABASE_URL;
  return [
    { name: 'sqlite', skip: false, create: async () => createSqliteDatabase({ path: ':memory:' }) },
    {
      name: 'postgres',
      skip: !url,
      create: async () => {
        if (!url) throw new Error('TEST_DATABASE_URL is not set');
        const schema = `vt_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
        const connection = await createPostgresDatabase({ connectionString: url, schema, maxConnections: 10 });
        return {
          ...connection,
          destroy: async () => {
            await connection.destroy();
            const cleanup = await createPostgresDatabase({ connectionString: url, maxConnections: 1 });
            try {
              await cleanup.db.schema.dropSchema(schema).ifExists().cascade().execute();
            } finally {
              await cleanup.destroy();
            }
          },
        };
      },
    },
  ];
}

/**
 * Declares `body` once per test database, inside `describe('<name> on sqlite|postgres')`,
 * skipping the PostgreSQL copy when no server is configured.
 */
export function describeEachDatabase(name: string, body: (database: TestDatabase) => void): void {
  for (const database of testDatabases()) {
    describe.skipIf(database.skip)(`${name} on ${database.name}`, () => body(database));
  }
}
