import type { Transaction } from 'kysely';
import type { EngineContext } from '../engine-context.js';
import type { CoreDatabase } from '../store/database-schema.js';
import { PRODUCTION, type RowChange, recordRowChanges, rowBatches, storedTableName } from './data-history.js';

/**
 * A preview's own data: at deploy time the project's production tables and rows are copied
 * into the preview's branch (`preview:<deployment id>`), which the preview then reads and writes
 * (and which its version's schema migrates). Production rows are never touched; the branch goes
 * away with the preview. The copy is physical, with new ids; every copied row enters the history.
 */

type Trx = Transaction<CoreDatabase>;
type ProjectKey = { id: string; organization_id: string };

/** Copies the project's production data into `branch` (which must not exist yet). */
export async function forkDataBranch(engine: EngineContext, trx: Trx, project: ProjectKey, branch: string, actor: string): Promise<void> {
  const tables = await trx.selectFrom('vector_data_tables').selectAll().where('project_id', '=', project.id).where('branch', '=', PRODUCTION).execute();
  const now = engine.nowIso();
  const changes: RowChange[] = [];
  for (const table of tables) {
    const tableId = engine.newId();
    await trx.insertInto('vector_data_tables').values({ ...table, id: tableId, name: storedTableName(table.name, branch), branch, created_at: now, updated_at: now }).execute();
    for await (const rows of rowBatches(trx, table.id)) {
      const copies = rows.map((row) => ({ ...row, id: engine.newId(), table_id: tableId, created_at: now, updated_at: now }));
      await trx.insertInto('vector_data_rows').values(copies).execute();
      changes.push(...copies.map((copy) => ({ tableId, rowId: copy.id, data: copy.data })));
    }
  }
  await recordRowChanges(engine, trx, project, changes, actor);
}

/** Removes a branch's tables and rows (its history stays). */
export async function dropDataBranch(trx: Trx, projectId: string, branch: string): Promise<void> {
  if (branch === PRODUCTION) throw new Error('the production data branch is never dropped');
  const tables = await trx.selectFrom('vector_data_tables').select('id').where('project_id', '=', projectId).where('branch', '=', branch).execute();
  if (tables.length === 0) return;
  const ids = tables.map((table) => table.id);
  await trx.deleteFrom('vector_data_rows').where('table_id', 'in', ids).execute();
  await trx.deleteFrom('vector_data_tables').where('id', 'in', ids).execute();
}
