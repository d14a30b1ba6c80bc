import type { EngineContext } from '../engine-context.js';

/**
 * Re-encrypts every stored secret sealed with a previous key, with the current one, a batch at
 * a time; each row is rewritten only if it still holds what was read (a concurrent update wins).
 * Returns how many were re-encrypted.
 */
export async function rotateStoredSecrets(engine: EngineContext): Promise<number> {
  let rotated = 0;
  let after = '';
  for (;;) {
    const rows = await engine.db.selectFrom('vector_mcp_connectors').select(['id', 'sealed_headers']).where('sealed_headers', 'is not', null).where('id', '>', after).orderBy('id').limit(100).execute();
    if (rows.length === 0) return rotated;
    for (const row of rows) {
      const sealed = row.sealed_headers as string;
      if (!engine.secretBox.isStale(sealed)) continue;
      const resealed = engine.secretBox.seal(engine.secretBox.open(sealed));
      const result = await engine.db.updateTable('vector_mcp_connectors').set({ sealed_headers: resealed }).where('id', '=', row.id).where('sealed_headers', '=', sealed).executeTakeFirst();
      rotated += Number(result.numUpdatedRows);
    }
    after = rows[rows.length - 1]?.id ?? after;
  }
}
