import { z } from 'zod';
import { parseInput } from '../../errors/from-zod.js';
import { ForbiddenError } from '../../errors/forbidden-error.js';
import { NotFoundError } from '../../errors/not-found-error.js';
import { ValidationError } from '../../errors/validation-error.js';
import type { DataAccessRules } from '../../data/data-schema.js';
import type { Page, PageInput } from '../../schemas/common.js';
import type { DataColumn, DataRow, DataTable } from '../../schemas/data-table.js';
import type { DataRowQuery } from '../../schemas/inputs.js';
import type { EngineContext } from '../engine-context.js';
import { toDataTable } from '../store/row-mappers.js';
import { createDataApi } from './data-api.js';
import { storedTableName } from './data-history.js';
import type { DataTokenPrincipal } from './data-tokens.js';

/** A table as a deployed app sees it: its name, columns and what its token may do. */
export interface RuntimeDataTable {
  name: string;
  columns: DataColumn[];
  access: DataAccessRules;
}

/** A row as a deployed app sees it. */
export type RuntimeDataRow = Pick<DataRow, 'id' | 'data' | 'createdAt' | 'updatedAt'>;

/**
 * What a deployment's data token allows: its own project's tables (a preview's own copy for a
 * preview), by name, and only the operations each table's access rules in `vector.data.json`
 * permit. Rows of other tables, projects and organizations are out of reach.
 */
export interface RuntimeDataApi {
  readonly principal: DataTokenPrincipal;
  /** The tables this token may do anything with. */
  listTables(): Promise<RuntimeDataTable[]>;
  listRows(table: string, query?: DataRowQuery, page?: PageInput): Promise<Page<RuntimeDataRow>>;
  getRow(table: string, rowId: string): Promise<RuntimeDataRow>;
  insertRow(table: string, data: Record<string, unknown>): Promise<RuntimeDataRow>;
  updateRow(table: string, rowId: string, patch: Record<string, unknown>): Promise<RuntimeDataRow>;
  deleteRow(table: string, rowId: string): Promise<void>;
}

const tableNameSchema = z.string().min(1).max(63);
const toRuntimeRow = (row: DataRow): RuntimeDataRow => ({ id: row.id, data: row.data, createdAt: row.createdAt, updatedAt: row.updatedAt });

/** The runtime data API of one resolved data token. */
export function createRuntimeDataApi(engine: EngineContext, principal: DataTokenPrincipal): RuntimeDataApi {
  const data = createDataApi({ engine, organizationId: principal.organizationId, actor: { type: 'deployment', id: principal.deploymentId } }, { auditRowWrites: false });

  /** The branch's table named `name`, when the token may do `operation` with it. */
  async function tableFor(name: string, operation: keyof DataAccessRules): Promise<DataTable> {
    const tableName = parseInput(tableNameSchema, name, 'table');
    const row = await engine.db
      .selectFrom('vector_data_tables')
      .selectAll()
      .where('project_id', '=', principal.projectId)
      .where('branch', '=', principal.branch)
      .where('name', '=', storedTableName(tableName, principal.branch))
      .executeTakeFirst();
    if (!row) throw new ValidationError({ message: `There is no table ${tableName}; the tables are declared in vector.data.json`, issues: [{ path: ['table'], message: `unknown table ${tableName}` }] });
    const table = toDataTable(row);
    if (!table.access[operation]) {
      throw new ForbiddenError({ message: `${tableName}'s access rules do not allow ${operation} (see "access" in vector.data.json)`, details: { table: tableName, operation } });
    }
    return table;
  }

  /** A row of `table`, by id; any other row (another table's, project's or organization's) is not found. */
  async function rowOf(table: DataTable, rowId: string): Promise<DataRow> {
    // Another organization's row is not found by the data API itself.
    const row = await data.getRow(rowId);
    if (row.tableId !== table.id) throw new NotFoundError({ entity: 'row', id: row.id });
    return row;
  }

  return {
    principal,
    async listTables() {
      const rows = await engine.db.selectFrom('vector_data_tables').selectAll().where('project_id', '=', principal.projectId).where('branch', '=', principal.branch).orderBy('name').execute();
      return rows
        .map(toDataTable)
        .filter((table) => Object.values(table.access).some(Boolean))
        .map((table) => ({ name: table.name, columns: table.columns, access: table.access }));
    },
    async listRows(name, query, page) {
      const table = await tableFor(name, 'read');
      const found = await data.listRows(table.id, query, page);
      return { ...found, items: found.items.map(toRuntimeRow) };
    },
    async getRow(name, rowId) {
      return toRuntimeRow(await rowOf(await tableFor(name, 'read'), rowId));
    },
    async insertRow(name, values) {
      return toRuntimeRow(await data.insertRow((await tableFor(name, 'insert')).id, values));
    },
    async updateRow(name, rowId, patch) {
      const table = await tableFor(name, 'update');
      await rowOf(table, rowId);
      return toRuntimeRow(await data.updateRow(rowId, patch));
    },
    async deleteRow(name, rowId) {
      const table = await tableFor(name, 'delete');
      await rowOf(table, rowId);
      await data.deleteRow(rowId);
    },
  };
}
