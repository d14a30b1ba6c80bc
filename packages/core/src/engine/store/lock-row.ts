import { sql, type Transaction } from 'kysely';
import type { SqlDialectName } from '../../db/create-database.js';
import type { CoreDatabase } from './database-schema.js';

/**
 * Locks one row for the rest of the transaction, so a read-check-write inside it cannot
 * interleave with another. PostgreSQL: `SELECT … FOR UPDATE`. SQLite needs nothing: the
 * engine's single connection runs one transaction at a time.
 */
export async function lockRow(trx: Transaction<CoreDatabase>, dialect: SqlDialectName, table: keyof CoreDatabase, id: string): Promise<void> {
  if (dialect !== 'postgres') return;
  await sql`select 1 from ${sql.table(table)} where id = ${id} for update`.execute(trx);
}
