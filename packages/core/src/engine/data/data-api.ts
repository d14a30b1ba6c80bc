import { sql, type Transaction } from 'kysely';
import type { CoreDatabase } from '../store/database-schema.js';
import type { DataTable } from '../../schemas/data-table.js';
import { ConflictError } from '../../errors/conflict-error.js';
import { parseInput } from '../../errors/from-zod.js';
import { NotFoundError } from '../../errors/not-found-error.js';
import { ValidationError } from '../../errors/validation-error.js';
import { idSchema, timestampSchema } from '../../schemas/common.js';
import type { DataColumn } from '../../schemas/data-table.js';
import { createDataTableInputSchema, dataRowQueryInputSchema } from '../../schemas/inputs.js';
import { writeAudit } from '../audit/audit-writer.js';
import { rowSchemaFor, withDefaults } from './data-row-validator.js';
import { PRODUCTION, previewBranch, recordRowChanges, revisionAt, rowsAsOf } from './data-history.js';
import { noAccess } from './data-migrations.js';
import { lockRow } from '../store/lock-row.js';
import { fromJson, toJson } from '../store/json-column.js';
import { afterCreatedCursor, readPage, toPage } from '../store/pagination.js';
import { toDataMigration, toDataRow, toDataRowVersion, toDataTable } from '../store/row-mappers.js';
import { loadProject, type ScopeContext } from '../scope-context.js';
import type { DataApi } from '../vector-types.js';

/** The largest row, as JSON (256 KiB): runtime data is app state, not file storage. */
const MAX_ROW_BYTES = 256 * 1024;

/**
 * Runtime data tables of one organization's projects. Row writes are audited unless
 * `auditRowWrites` is false (a deployed app's traffic: its row history records it instead).
 */
export function createDataApi(scope: ScopeContext, options: { auditRowWrites: boolean } = { auditRowWrites: true }): DataApi {
  const { engine, organizationId, actor } = scope;
  const { db, dialect } = engine;
  const actorName = `${actor.type}:${actor.id}`;

  async function loadTable(tableId: string) {
    const id = parseInput(idSchema, tableId, 'table id');
    const row = await db.selectFrom('vector_data_tables').selectAll().where('id', '=', id).where('organization_id', '=', organizationId).executeTakeFirst();
    if (!row) throw new NotFoundError({ entity: 'table', id });
    return { row, columns: fromJson<DataColumn[]>(row.columns) };
  }

  async function loadRow(rowId: string) {
    const id = parseInput(idSchema, rowId, 'row id');
    const row = await db.selectFrom('vector_data_rows').selectAll().where('id', '=', id).where('organization_id', '=', organizationId).executeTakeFirst();
    if (!row) throw new NotFoundError({ entity: 'row', id });
    return row;
  }

  // JSON text is compared as text on both dialects; values are normalised to text first.
  function jsonField(column: string) {
    return dialect === 'postgres' ? sql`(data::jsonb ->> ${column})` : sql`json_extract(data, ${`$.${column}`})`;
  }

  // Ordering uses jsonb values on PostgreSQL so numbers sort as numbers, not as text.
  function jsonSortKey(column: string) {
    return dialect === 'postgres' ? sql`(data::jsonb -> ${column})` : sql`json_extract(data, ${`$.${column}`})`;
  }

  function comparable(value: string | number | boolean) {
    if (dialect === 'postgres') return typeof value === 'string' ? value : JSON.stringify(value);
    return typeof value === 'boolean' ? (value ? 1 : 0) : value;
  }

  /**
   * Checks a row about to be written under the table's rules that span rows: its size, and its
   * unique indexes (no other row of the table with the same values; rows with a null in the
   * index are not compared). Unique tables are locked first, so two writers cannot both pass.
   */
  async function checkRowWrite(trx: Transaction<CoreDatabase>, table: { id: string; name: string; indexes: string }, values: Record<string, unknown>, rowId: string) {
    const bytes = Buffer.byteLength(toJson(values));
    if (bytes > MAX_ROW_BYTES) {
      throw new ValidationError({ message: `A row of ${table.name} is ${bytes} bytes as JSON; the limit is ${MAX_ROW_BYTES}`, issues: [{ path: ['data'], message: `row over ${MAX_ROW_BYTES} bytes` }] });
    }
    const unique = fromJson<DataTable['indexes']>(table.indexes).filter((index) => index.unique);
    if (unique.length === 0) return;
    await lockRow(trx, dialect, 'vector_data_tables', table.id);
    for (const index of unique) {
      if (index.columns.some((column) => values[column] === undefined || values[column] === null)) continue;
      let query = trx.selectFrom('vector_data_rows').select('id').where('table_id', '=', table.id).where('id', '!=', rowId);
      for (const column of index.columns) query = query.where(jsonField(column), '=', comparable(values[column] as string | number | boolean));
      const clash = await query.executeTakeFirst();
      if (clash) {
        throw new ConflictError({ message: `${table.name} already has a row with the same ${index.columns.join(', ')} (row ${clash.id}); the index is unique`, details: { table: table.name, columns: index.columns, rowId: clash.id } });
      }
    }
  }

  return {
    async createTable(input) {
      const parsed = parseInput(createDataTableInputSchema, input, 'table');
      const project = await loadProject(scope, parsed.projectId);
      const taken = await db.selectFrom('vector_data_tables').select('id').where('project_id', '=', project.id).where('branch', '=', PRODUCTION).where('name', '=', parsed.name).executeTakeFirst();
      if (taken) throw new ConflictError({ message: `Project ${project.id} already has a table named ${parsed.name}`, details: { name: parsed.name } });
      const now = engine.nowIso();
      const row = { id: engine.newId(), project_id: project.id, organization_id: organizationId, name: parsed.name, branch: PRODUCTION, columns: toJson(parsed.columns), indexes: '[]', access: toJson(noAccess), created_at: now, updated_at: now };
      return engine.transaction(async (trx, afterCommit) => {
        await trx.insertInto('vector_data_tables').values(row).execute();
        await writeAudit(engine, trx, afterCommit, { organizationId, projectId: project.id, actor, action: 'data_table.create', entityType: 'data_table', entityId: row.id, afterId: row.id, data: { name: parsed.name } });
        return toDataTable(row);
      });
    },
    async listTables(projectId, options) {
      const project = await loadProject(scope, projectId);
      let branch = PRODUCTION;
      if (options?.deploymentId !== undefined) {
        const deploymentId = parseInput(idSchema, options.deploymentId, 'deployment id');
        const deployment = await db.selectFrom('vector_deployments').select(['id', 'environment']).where('id', '=', deploymentId).where('project_id', '=', project.id).executeTakeFirst();
        if (!deployment) throw new NotFoundError({ entity: 'deployment', id: deploymentId });
        if (deployment.environment === 'preview') branch = previewBranch(deployment.id);
      }
      const rows = await db.selectFrom('vector_data_tables').selectAll().where('project_id', '=', project.id).where('branch', '=', branch).orderBy('name').execute();
      return rows.map(toDataTable);
    },
    async getTable(tableId) {
      return toDataTable((await loadTable(tableId)).row);
    },
    async dropTable(tableId) {
      const { row } = await loadTable(tableId);
      await engine.transaction(async (trx, afterCommit) => {
        const gone = await trx.selectFrom('vector_data_rows').select('id').where('table_id', '=', row.id).execute();
        await trx.deleteFrom('vector_data_rows').where('table_id', '=', row.id).execute();
        await trx.deleteFrom('vector_data_tables').where('id', '=', row.id).execute();
        await recordRowChanges(engine, trx, { id: row.project_id, organization_id: organizationId }, gone.map((item) => ({ tableId: row.id, rowId: item.id, data: null })), actorName);
        await writeAudit(engine, trx, afterCommit, { organizationId, projectId: row.project_id, actor, action: 'data_table.drop', entityType: 'data_table', entityId: row.id, beforeId: row.id, data: { name: row.name } });
      });
    },
    async insertRow(tableId, data) {
      const { row: table, columns } = await loadTable(tableId);
      const values = parseInput(rowSchemaFor(columns, false), withDefaults(columns, data), `row of ${table.name}`);
      const now = engine.nowIso();
      const row = { id: engine.newId(), table_id: table.id, project_id: table.project_id, organization_id: organizationId, data: toJson(values), created_at: now, updated_at: now };
      return engine.transaction(async (trx, afterCommit) => {
        await checkRowWrite(trx, table, values, row.id);
        await trx.insertInto('vector_data_rows').values(row).execute();
        await recordRowChanges(engine, trx, { id: row.project_id, organization_id: organizationId }, [{ tableId: table.id, rowId: row.id, data: row.data }], actorName);
        if (options.auditRowWrites) await writeAudit(engine, trx, afterCommit, { organizationId, projectId: table.project_id, actor, action: 'data_row.create', entityType: 'data_row', entityId: row.id, afterId: row.id, data: { tableId: table.id } });
        return toDataRow(row);
      });
    },
    async getRow(rowId) {
      return toDataRow(await loadRow(rowId));
    },
    async listRows(tableId, query, page) {
      const { row: table, columns } = await loadTable(tableId);
      const parsed = parseInput(dataRowQueryInputSchema, query ?? {}, 'row query');
      const known = new Set(columns.map((column) => column.name));
      for (const name of [...Object.keys(parsed.where ?? {}), ...(parsed.orderBy ? [parsed.orderBy.column] : [])]) {
        if (!known.has(name)) throw new ValidationError({ message: `Table ${table.name} has no column ${name}`, issues: [{ path: ['query', name], message: 'unknown column' }] });
      }
      const { limit, cursor } = readPage(page, parsed.orderBy ? 'number' : 'string');
      let select = db.selectFrom('vector_data_rows').selectAll().where('table_id', '=', table.id);
      for (const [name, value] of Object.entries(parsed.where ?? {})) {
        select = value === null ? select.where(jsonField(name), 'is', null) : select.where(jsonField(name), '=', comparable(value));
      }
      if (parsed.orderBy) {
        // Ordered pages use an offset cursor; the default order uses a keyset cursor.
        const offset = cursor ? Number(cursor.key) : 0;
        const rows = await select.orderBy(jsonSortKey(parsed.orderBy.column), parsed.orderBy.direction).orderBy('id').limit(limit + 1).offset(offset).execute();
        return toPage(rows, limit, toDataRow, () => ({ key: offset + limit, id: 'offset' }));
      }
      if (cursor) select = select.where(afterCreatedCursor(cursor, 'asc'));
      const rows = await select.orderBy('created_at').orderBy('id').limit(limit + 1).execute();
      return toPage(rows, limit, toDataRow, (row) => ({ key: row.created_at, id: row.id }));
    },
    async updateRow(rowId, patch) {
      const found = await loadRow(rowId);
      const { columns, row: table } = await loadTable(found.table_id);
      const changes = parseInput(rowSchemaFor(columns, true), patch, `row of ${table.name}`);
      const now = engine.nowIso();
      return engine.transaction(async (trx, afterCommit) => {
        // Merge with the row as it is now, under its lock, so concurrent patches both apply.
        await lockRow(trx, dialect, 'vector_data_rows', found.id);
        const existing = await trx.selectFrom('vector_data_rows').selectAll().where('id', '=', found.id).executeTakeFirst();
        if (!existing) throw new NotFoundError({ entity: 'row', id: found.id });
        const merged = parseInput(rowSchemaFor(columns, false), { ...fromJson<Record<string, unknown>>(existing.data), ...changes }, `row of ${table.name}`);
        await checkRowWrite(trx, table, merged, existing.id);
        await trx.updateTable('vector_data_rows').set({ data: toJson(merged), updated_at: now }).where('id', '=', existing.id).execute();
        await recordRowChanges(engine, trx, { id: existing.project_id, organization_id: organizationId }, [{ tableId: table.id, rowId: existing.id, data: toJson(merged) }], actorName);
        if (options.auditRowWrites) await writeAudit(engine, trx, afterCommit, { organizationId, projectId: existing.project_id, actor, action: 'data_row.update', entityType: 'data_row', entityId: existing.id, data: { tableId: table.id, fields: Object.keys(changes) } });
        return toDataRow({ ...existing, data: toJson(merged), updated_at: now });
      });
    },
    async listRowVersions(rowId) {
      const id = parseInput(idSchema, rowId, 'row id');
      const versions = await db.selectFrom('vector_data_row_versions').selectAll().where('row_id', '=', id).where('organization_id', '=', organizationId).orderBy('revision').execute();
      if (versions.length === 0) throw new NotFoundError({ entity: 'row', id });
      return versions.map(toDataRowVersion);
    },
    async listRowsAsOf(tableId, at) {
      const { row: table } = await loadTable(tableId);
      const when = parseInput(timestampSchema, at, 'as-of time');
      const revision = await revisionAt(db, table.project_id, new Date(when).toISOString());
      const rows = await rowsAsOf(db, table.project_id, revision);
      return [...rows].filter(([, row]) => row.tableId === table.id).map(([id, row]) => ({ id, data: fromJson<Record<string, unknown>>(row.data) }));
    },
    async listMigrations(projectId) {
      const project = await loadProject(scope, projectId);
      const rows = await db.selectFrom('vector_data_migrations').selectAll().where('project_id', '=', project.id).orderBy('created_at').orderBy('id').execute();
      return rows.map(toDataMigration);
    },
    async deleteRow(rowId) {
      const existing = await loadRow(rowId);
      await engine.transaction(async (trx, afterCommit) => {
        await trx.deleteFrom('vector_data_rows').where('id', '=', existing.id).execute();
        await recordRowChanges(engine, trx, { id: existing.project_id, organization_id: organizationId }, [{ tableId: existing.table_id, rowId: existing.id, data: null }], actorName);
        if (options.auditRowWrites) await writeAudit(engine, trx, afterCommit, { organizationId, projectId: existing.project_id, actor, action: 'data_row.delete', entityType: 'data_row', entityId: existing.id, beforeId: existing.id });
      });
    },
  };
}
