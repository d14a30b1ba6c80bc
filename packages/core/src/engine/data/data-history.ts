import type { Insertable, Kysely, Selectable, Transaction } from 'kysely';
import type { Actor } from '../../schemas/common.js';
import { writeAudit } from '../audit/audit-writer.js';
import type { EngineContext } from '../engine-context.js';
import type { CoreDatabase } from '../store/database-schema.js';
import { fromJson, toJson } from '../store/json-column.js';

/**
 * The history of a project's runtime data: every change of a row is appended to
 * `vector_data_row_versions` (the row's data after the change, null once deleted), numbered by
 * the project's `data_revision`, so the data as of any revision can be read back. Publishing a
 * version records a checkpoint (`vector_data_checkpoints`: the revision and the tables then),
 * and a rollback with data restores one by appending new versions: nothing is ever rewritten.
 */

type Trx = Transaction<CoreDatabase>;

/** The branch of a project's own data; a preview's copy is `preview:<deployment id>` ({@link previewBranch}). */
export const PRODUCTION = 'production';
/** The data branch of a preview deployment. */
export const previewBranch = (deploymentId: string): string => `preview:${deploymentId}`;

/**
 * A table's name as stored: a branch's copy is `<name>#<branch>`, because the table's unique
 * (project, name) constraint predates branches. {@link tableNameOf} reads it back.
 */
export const storedTableName = (name: string, branch: string): string => (branch === PRODUCTION ? name : `${name}#${branch}`);
/** A table's name without its branch. */
export const tableNameOf = (stored: string): string => stored.split('#', 1)[0] as string;
type AfterCommit = (callback: () => void) => void;
type TableRow = Pick<CoreDatabase['vector_data_tables'], 'id' | 'name' | 'columns' | 'indexes' | 'access'>;

/** One change of a row: its data after the change (JSON text), or null when it was deleted. */
export interface RowChange {
  tableId: string;
  rowId: string;
  data: string | null;
}

/** A table's rows in batches of at most `size`, by id (so a large table is never read at once). */
export async function* rowBatches(trx: Trx, tableId: string, size = 500): AsyncGenerator<Array<Selectable<CoreDatabase['vector_data_rows']>>> {
  let after = '';
  for (;;) {
    const batch = await trx.selectFrom('vector_data_rows').selectAll().where('table_id', '=', tableId).where('id', '>', after).orderBy('id').limit(size).execute();
    if (batch.length === 0) return;
    after = (batch.at(-1) as { id: string }).id;
    yield batch;
  }
}

/** Appends `changes` to the project's row history, numbered on from its revision; answers the revision after them. */
export async function recordRowChanges(engine: EngineContext, trx: Trx, project: { id: string; organization_id: string }, changes: ReadonlyArray<RowChange>, actor: string): Promise<number> {
  if (changes.length === 0) {
    const row = await trx.selectFrom('vector_projects').select('data_revision').where('id', '=', project.id).executeTakeFirstOrThrow();
    return Number(row.data_revision);
  }
  const bumped = await trx
    .updateTable('vector_projects')
    .set((eb) => ({ data_revision: eb('data_revision', '+', changes.length) }))
    .where('id', '=', project.id)
    .returning('data_revision')
    .executeTakeFirstOrThrow();
  const last = Number(bumped.data_revision);
  const now = engine.nowIso();
  const rows: Array<Insertable<CoreDatabase['vector_data_row_versions']>> = changes.map((change, index) => ({
    id: engine.newId(),
    project_id: project.id,
    organization_id: project.organization_id,
    table_id: change.tableId,
    row_id: change.rowId,
    revision: last - changes.length + index + 1,
    data: change.data,
    actor,
    created_at: now,
  }));
  for (let start = 0; start < rows.length; start += 500) await trx.insertInto('vector_data_row_versions').values(rows.slice(start, start + 500)).execute();
  return last;
}

/** Records that `versionId` was published with the project's data as it is now: its revision and its tables. */
export async function recordDataCheckpoint(engine: EngineContext, trx: Trx, project: { id: string; organization_id: string }, versionId: string): Promise<void> {
  const revision = await recordRowChanges(engine, trx, project, [], '');
  const tables: TableRow[] = await trx.selectFrom('vector_data_tables').select(['id', 'name', 'columns', 'indexes', 'access']).where('project_id', '=', project.id).where('branch', '=', PRODUCTION).orderBy('name').execute();
  await trx
    .insertInto('vector_data_checkpoints')
    .values({ id: engine.newId(), project_id: project.id, organization_id: project.organization_id, version_id: versionId, revision, tables: toJson(tables), created_at: engine.nowIso() })
    .execute();
}

/** The project's revision at `at` (an ISO timestamp): the last change made at or before it; 0 before any. */
export async function revisionAt(db: Kysely<CoreDatabase>, projectId: string, at: string): Promise<number> {
  const row = await db
    .selectFrom('vector_data_row_versions')
    .select((eb) => eb.fn.max('revision').as('revision'))
    .where('project_id', '=', projectId)
    .where('created_at', '<=', at)
    .executeTakeFirst();
  return Number(row?.revision ?? 0);
}

/** The latest checkpoint of `versionId` (when it was last published), or undefined when it never was. */
export function findDataCheckpoint(trx: Trx | Kysely<CoreDatabase>, projectId: string, versionId: string) {
  return trx.selectFrom('vector_data_checkpoints').selectAll().where('project_id', '=', projectId).where('version_id', '=', versionId).orderBy('revision', 'desc').orderBy('created_at', 'desc').executeTakeFirst();
}

/** Every row as it was at `revision` (its latest version at or before it), deleted rows left out. */
export async function rowsAsOf(trx: Trx | Kysely<CoreDatabase>, projectId: string, revision: number): Promise<Map<string, { tableId: string; data: string }>> {
  const latest = await trx
    .selectFrom('vector_data_row_versions as v')
    .select(['v.row_id', 'v.table_id', 'v.data'])
    .where('v.project_id', '=', projectId)
    .where('v.revision', '<=', revision)
    .where((eb) =>
      eb(
        'v.revision',
        '=',
        eb.selectFrom('vector_data_row_versions as w').select((inner) => inner.fn.max('w.revision').as('last')).whereRef('w.row_id', '=', 'v.row_id').where('w.project_id', '=', projectId).where('w.revision', '<=', revision),
      ),
    )
    .execute();
  const rows = new Map<string, { tableId: string; data: string }>();
  for (const row of latest) if (row.data !== null) rows.set(row.row_id, { tableId: row.table_id, data: row.data });
  return rows;
}

/**
 * Makes the project's data what it was at `checkpoint`: its tables (definitions and ids) and
 * every row, by appending new row versions (restored, changed back or deleted) to the history,
 * which keeps what it undoes so it can be restored in turn. Answers how many rows changed.
 */
export async function restoreDataCheckpoint(
  engine: EngineContext,
  trx: Trx,
  afterCommit: AfterCommit,
  input: { project: { id: string; organization_id: string }; checkpoint: { id: string; revision: number; tables: string; version_id: string }; actor: Actor },
): Promise<number> {
  const { project, checkpoint } = input;
  const now = engine.nowIso();
  const wanted = fromJson<TableRow[]>(checkpoint.tables);
  const wantedIds = new Set(wanted.map((table) => table.id));
  const existing = await trx.selectFrom('vector_data_tables').select(['id']).where('project_id', '=', project.id).where('branch', '=', PRODUCTION).execute();
  const existingIds = new Set(existing.map((table) => table.id));
  // Tables made after the checkpoint go (their rows are deleted below, in the history too); the others come back as they were.
  const changes: RowChange[] = [];
  for (const table of wanted) {
    const definition = { name: table.name, columns: table.columns, indexes: table.indexes, access: table.access, updated_at: now };
    if (existingIds.has(table.id)) await trx.updateTable('vector_data_tables').set(definition).where('id', '=', table.id).execute();
  }
  const asOf = await rowsAsOf(trx, project.id, Number(checkpoint.revision));
  const current = existing.length === 0 ? [] : await trx.selectFrom('vector_data_rows').select(['id', 'table_id', 'data']).where('table_id', 'in', [...existingIds]).execute();
  for (const row of current) {
    const then = asOf.get(row.id);
    if (then === undefined || !wantedIds.has(then.tableId)) {
      await trx.deleteFrom('vector_data_rows').where('id', '=', row.id).execute();
      changes.push({ tableId: row.table_id, rowId: row.id, data: null });
    } else if (then.data !== row.data || then.tableId !== row.table_id) {
      await trx.updateTable('vector_data_rows').set({ data: then.data, table_id: then.tableId, updated_at: now }).where('id', '=', row.id).execute();
      changes.push({ tableId: then.tableId, rowId: row.id, data: then.data });
    }
  }
  for (const table of existing) if (!wantedIds.has(table.id)) await trx.deleteFrom('vector_data_tables').where('id', '=', table.id).execute();
  for (const table of wanted) {
    if (existingIds.has(table.id)) continue;
    await trx.insertInto('vector_data_tables').values({ ...table, branch: PRODUCTION, project_id: project.id, organization_id: project.organization_id, created_at: now, updated_at: now }).execute();
  }
  const present = new Set(current.map((row) => row.id));
  for (const [rowId, then] of asOf) {
    if (present.has(rowId) || !wantedIds.has(then.tableId)) continue;
    await trx.insertInto('vector_data_rows').values({ id: rowId, table_id: then.tableId, project_id: project.id, organization_id: project.organization_id, data: then.data, created_at: now, updated_at: now }).execute();
    changes.push({ tableId: then.tableId, rowId, data: then.data });
  }
  await recordRowChanges(engine, trx, project, changes, `${input.actor.type}:${input.actor.id}`);
  await writeAudit(engine, trx, afterCommit, {
    organizationId: project.organization_id,
    projectId: project.id,
    actor: input.actor,
    action: 'data.restore',
    entityType: 'project',
    entityId: project.id,
    data: { versionId: checkpoint.version_id, revision: Number(checkpoint.revision), rowsChanged: changes.length },
  });
  return changes.length;
}
