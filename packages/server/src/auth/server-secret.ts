import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { ServerDatabase } from './server-migrations.js';

/**
 * A 32-byte key the server keeps in its own table, made on first use: every process on the
 * database reads the same one (concurrent first uses agree on one row).
 */
export async function readServerSecret(db: Kysely<ServerDatabase>, name: string, now: () => Date): Promise<Uint8Array> {
  await db
    .insertInto('vector_server_secrets')
    .values({ name, value: randomBytes(32).toString('base64url'), created_at: now().toISOString() })
    .onConflict((conflict) => conflict.column('name').doNothing())
    .execute();
  const row = await db.selectFrom('vector_server_secrets').select('value').where('name', '=', name).executeTakeFirstOrThrow();
  return new Uint8Array(Buffer.from(row.value, 'base64url'));
}
