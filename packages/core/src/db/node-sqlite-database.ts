import type { SqliteDatabase, SqliteStatement } from 'kysely';
import { DatabaseSync, type StatementSync } from 'node:sqlite';

/**
 * Adapts Node's built-in `node:sqlite` to the small database interface Kysely's
 * `SqliteDialect` expects, so the embedded default needs no native build.
 */
export function createNodeSqliteDatabase(location: string): SqliteDatabase {
  const database = new DatabaseSync(location);
  // WAL lets readers proceed during writes; foreign keys are off by default in SQLite.
  if (location !== ':memory:') database.exec('PRAGMA journal_mode = WAL');
  database.exec('PRAGMA foreign_keys = ON');
  database.exec('PRAGMA busy_timeout = 5000');
  // Kysely prepares every query anew; preparing dominates small reads, so statements are
  // reused by SQL text. One connection runs one statement at a time, so sharing is safe.
  const statements = new Map<string, SqliteStatement>();
  return {
    close: () => {
      statements.clear();
      database.close();
    },
    prepare: (sql: string) => {
      const cached = statements.get(sql);
      if (cached) return cached;
      const statement = wrapStatement(database.prepare(sql));
      if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value as string);
      statements.set(sql, statement);
      return statement;
    },
  };
}

const STATEMENT_CACHE_SIZE = 500;

function wrapStatement(statement: StatementSync): SqliteStatement {
  statement.setReadBigInts(false);
  const reader = statement.columns().length > 0;
  return {
    reader,
    all: (parameters) => statement.all(...toSqlite(parameters)) as unknown[],
    run: (parameters) => {
      const result = statement.run(...toSqlite(parameters));
      return { changes: result.changes, lastInsertRowid: result.lastInsertRowid };
    },
    iterate: (parameters) => statement.iterate(...toSqlite(parameters)) as IterableIterator<unknown>,
  };
}

type SqliteValue = null | number | bigint | string | Uint8Array;

function toSqlite(parameters: ReadonlyArray<unknown>): SqliteValue[] {
  return parameters.map((value) => {
    if (value === undefined || value === null) return null;
    if (typeof value === 'boolean') return value ? 1 : 0;
    if (value instanceof Date) return value.toISOString();
    return value as SqliteValue;
  });
}
