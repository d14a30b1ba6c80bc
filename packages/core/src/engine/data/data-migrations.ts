import type { Transaction } from 'kysely';
import { convertValue } from '../../data/column-values.js';
import { DATA_SCHEMA_FILE, type DataAccessRules, type DataSchema, type DataSchemaTable, dataSchemaSchema } from '../../data/data-schema.js';
import { type DataMigrationPlan, describeDataMigrationStep, planDataMigration } from '../../data/plan-data-migration.js';
import { ValidationError, type ValidationIssue } from '../../errors/validation-error.js';
import { decodeText } from '../../files/content.js';
import type { Actor } from '../../schemas/common.js';
import type { DataColumn, DataMigration } from '../../schemas/data-table.js';
import { writeAudit } from '../audit/audit-writer.js';
import type { EngineContext } from '../engine-context.js';
import { storageFor, toStorageProject } from '../scope-context.js';
import type { CoreDatabase } from '../store/database-schema.js';
import { fromJson, toJson } from '../store/json-column.js';
import { lockRow } from '../store/lock-row.js';
import { toDataMigration } from '../store/row-mappers.js';
import { rowSchemaFor } from './data-row-validator.js';
import { PRODUCTION, type RowChange, recordRowChanges, rowBatches, storedTableName, tableNameOf } from './data-history.js';

/**
 * The one module that changes a project's data tables as a whole: it applies a version's
 * `vector.data.json` to the project's data (`vector_data_tables`, the rows of
 * `vector_data_rows` it rewrites) and records the migration (`vector_data_migrations`).
 */

type ProjectRow = Parameters<typeof toStorageProject>[0];
type AfterCommit = (callback: () => void) => void;

/** Access for tables made through the API rather than the schema file: a data token may do nothing. */
export const noAccess: DataAccessRules = { read: false, insert: false, update: false, delete: false };

/** Most rows read and rewritten at once while migrating. */
const BATCH = 500;
/** Most problems one failed migration lists. */
const MAX_ISSUES = 20;

/**
 * A version's data schema: its `vector.data.json`, checked; null when the version has none (its
 * data is then left as it is).
 *
 * @throws ValidationError when the file is not valid JSON or not a valid schema, naming each problem.
 */
export async function readVersionDataSchema(engine: EngineContext, project: ProjectRow, storageRef: string): Promise<DataSchema | null> {
  const file = await storageFor(engine, project).getFile({ project: toStorageProject(project), ref: storageRef, path: DATA_SCHEMA_FILE });
  if (!file) return null;
  let json: unknown;
  try {
    json = JSON.parse(decodeText(file.content));
  } catch (error) {
    throw new ValidationError({ message: `${DATA_SCHEMA_FILE} is not valid JSON: ${(error as Error).message}`, issues: [{ path: [DATA_SCHEMA_FILE], message: 'not valid JSON' }] });
  }
  const parsed = dataSchemaSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({ path: [DATA_SCHEMA_FILE, ...issue.path.map((part) => (typeof part === 'symbol' ? String(part) : part))], message: issue.message }));
    throw new ValidationError({ message: `${DATA_SCHEMA_FILE} is not a valid data schema: ${issues.map((issue) => `${issue.path.slice(1).join('.')}: ${issue.message}`).join('; ')}`, issues });
  }
  return parsed.data;
}

/** The schema the project's data has now, read from its tables. */
async function currentSchema(trx: Transaction<CoreDatabase>, projectId: string, branch: string): Promise<{ schema: DataSchema; ids: Map<string, string> }> {
  const rows = await trx.selectFrom('vector_data_tables').selectAll().where('project_id', '=', projectId).where('branch', '=', branch).execute();
  const tables: Record<string, DataSchemaTable> = {};
  const ids = new Map<string, string>();
  for (const row of rows) {
    const name = tableNameOf(row.name);
    ids.set(name, row.id);
    tables[name] = {
      columns: Object.fromEntries(fromJson<DataColumn[]>(row.columns).map((column) => [column.name, { type: column.type, required: column.required, ...(column.default === undefined ? {} : { default: column.default }) }])),
      indexes: fromJson<DataSchemaTable['indexes']>(row.indexes),
      access: fromJson<DataAccessRules>(row.access),
    };
  }
  return { schema: { tables }, ids };
}

const columnsOf = (table: DataSchemaTable): DataColumn[] =>
  Object.entries(table.columns).map(([name, column]) => ({ name, type: column.type, required: column.required, ...(column.default === undefined ? {} : { default: column.default }) }));

/** What {@link migrateProjectData} did: the plan, and the migration recorded (null when nothing changed). */
export interface AppliedDataMigration {
  plan: DataMigrationPlan;
  migration: DataMigration | null;
}

/**
 * Brings the project's data to `schema` (the version's `vector.data.json`) in `trx`: tables
 * created, renamed, changed and dropped, and every row rewritten and checked against its
 * table's new columns. Nothing is written when a destructive step is not allowed or a row
 * cannot be converted: the error lists them. A migration with steps is recorded and audited.
 *
 * @throws ValidationError listing the destructive steps (without `allowDestructive`) or the rows that do not convert.
 */
export async function migrateProjectData(
  engine: EngineContext,
  trx: Transaction<CoreDatabase>,
  afterCommit: AfterCommit,
  input: { project: ProjectRow; versionId: string; schema: DataSchema; actor: Actor; allowDestructive: boolean; branch?: string },
): Promise<AppliedDataMigration> {
  const { project, schema } = input;
  const branch = input.branch ?? PRODUCTION;
  // One migration of a project's data at a time: the next one reads the schema this one leaves.
  await lockRow(trx, engine.dialect, 'vector_projects', project.id);
  const { schema: current, ids } = await currentSchema(trx, project.id, branch);
  const plan = planDataMigration(current, schema);
  if (plan.steps.length === 0) return { plan, migration: null };
  if (plan.destructive && !input.allowDestructive) {
    const destructive = plan.steps.filter((step) => step.destructive).map(describeDataMigrationStep);
    throw new ValidationError({
      message: `Migrating the data to this version's ${DATA_SCHEMA_FILE} would lose data (${destructive.join('; ')}); nothing was changed. Pass allowDestructiveDataChanges: true to apply it.`,
      issues: destructive.map((step) => ({ path: ['allowDestructiveDataChanges'], message: step })),
    });
  }

  const now = engine.nowIso();
  const newIds = new Map<string, string>();
  // Dropped tables first, so their names are free for renames and new tables.
  const history: RowChange[] = [];
  for (const step of plan.steps) {
    if (step.op !== 'drop_table') continue;
    const id = ids.get(step.table) as string;
    const gone = await trx.selectFrom('vector_data_rows').select('id').where('table_id', '=', id).execute();
    history.push(...gone.map((row) => ({ tableId: id, rowId: row.id, data: null })));
    await trx.deleteFrom('vector_data_rows').where('table_id', '=', id).execute();
    await trx.deleteFrom('vector_data_tables').where('id', '=', id).execute();
  }
  for (const [name, table] of Object.entries(schema.tables)) {
    // A renamed table is among the tables whose rows change; any other existing one keeps its name.
    const from = plan.rows.find((rows) => rows.table === name)?.from ?? (ids.has(name) ? name : null);
    const values = { name: storedTableName(name, branch), columns: toJson(columnsOf(table)), indexes: toJson(table.indexes), access: toJson(table.access), updated_at: now };
    if (from === null) {
      const id = engine.newId();
      newIds.set(name, id);
      await trx.insertInto('vector_data_tables').values({ id, project_id: project.id, organization_id: project.organization_id, branch, ...values, created_at: now }).execute();
    } else {
      newIds.set(name, ids.get(from) as string);
      await trx.updateTable('vector_data_tables').set(values).where('id', '=', ids.get(from) as string).execute();
    }
  }

  const issues: ValidationIssue[] = [];
  for (const rows of plan.rows) {
    const target = schema.tables[rows.table] as DataSchemaTable;
    const before = current.tables[rows.from] as DataSchemaTable;
    const check = rowSchemaFor(columnsOf(target), false);
    const tableId = newIds.get(rows.table) as string;
    for await (const batch of rowBatches(trx, tableId, BATCH)) {
      for (const row of batch) {
        const old = fromJson<Record<string, unknown>>(row.data);
        const next: Record<string, unknown> = {};
        for (const [column, definition] of Object.entries(target.columns)) {
          const source = rows.sources[column] ?? null;
          let value = source === null ? undefined : old[source];
          if (value !== undefined && value !== null && source !== null) {
            const converted = convertValue(value, (before.columns[source] as DataSchemaTable['columns'][string]).type, definition.type);
            if (!converted.ok) {
              if (issues.length < MAX_ISSUES) issues.push({ path: [rows.table, row.id, column], message: converted.reason });
              continue;
            }
            value = converted.value;
          }
          if ((value === undefined || value === null) && definition.default !== undefined) value = definition.default;
          if (value !== undefined) next[column] = value;
        }
        const checked = check.safeParse(next);
        if (!checked.success) {
          for (const issue of checked.error.issues) if (issues.length < MAX_ISSUES) issues.push({ path: [rows.table, row.id, ...issue.path.map(String)], message: issue.message });
          continue;
        }
        if (toJson(checked.data) !== row.data) {
          await trx.updateTable('vector_data_rows').set({ data: toJson(checked.data), updated_at: now }).where('id', '=', row.id).execute();
          history.push({ tableId, rowId: row.id, data: toJson(checked.data) });
        }
      }
    }
  }
  // Unique indexes hold for the rows as they now are (an index added to data that repeats itself fails).
  for (const [name, table] of Object.entries(schema.tables)) {
    const unique = table.indexes.filter((index) => index.unique);
    if (unique.length === 0) continue;
    const tableId = newIds.get(name) as string;
    const seen = unique.map(() => new Map<string, string>());
    for await (const batch of rowBatches(trx, tableId, BATCH)) {
      for (const row of batch) {
        const data = fromJson<Record<string, unknown>>(row.data);
        unique.forEach((index, position) => {
          const values = index.columns.map((column) => data[column] ?? null);
          if (values.includes(null)) return;
          const key = JSON.stringify(values);
          const first = seen[position]?.get(key);
          if (first !== undefined && issues.length < MAX_ISSUES) issues.push({ path: [name, row.id, ...index.columns], message: `the same ${index.columns.join(', ')} as row ${first}, but the index is unique` });
          else seen[position]?.set(key, row.id);
        });
      }
    }
  }
  if (issues.length > 0) {
    throw new ValidationError({
      message: `The data cannot be migrated to this version's ${DATA_SCHEMA_FILE}: ${issues.length >= MAX_ISSUES ? `at least ${MAX_ISSUES}` : issues.length} values do not fit (${issues.slice(0, 3).map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}); nothing was changed`,
      issues,
    });
  }

  await recordRowChanges(engine, trx, project, history, `${input.actor.type}:${input.actor.id}`);
  const previous = await trx.selectFrom('vector_data_migrations').select('version_id').where('project_id', '=', project.id).where('environment', '=', branch).orderBy('created_at', 'desc').orderBy('id', 'desc').executeTakeFirst();
  const row = {
    id: engine.newId(),
    project_id: project.id,
    organization_id: project.organization_id,
    environment: branch,
    version_id: input.versionId,
    from_version_id: previous?.version_id ?? null,
    steps: toJson(plan.steps),
    destructive: plan.destructive ? 1 : 0,
    created_by: `${input.actor.type}:${input.actor.id}`,
    created_at: now,
  };
  await trx.insertInto('vector_data_migrations').values(row).execute();
  await writeAudit(engine, trx, afterCommit, {
    organizationId: project.organization_id,
    projectId: project.id,
    actor: input.actor,
    action: 'data.migrate',
    entityType: 'data_migration',
    entityId: row.id,
    afterId: input.versionId,
    data: { steps: plan.steps.map(describeDataMigrationStep), destructive: plan.destructive },
  });
  return { plan, migration: toDataMigration(row) };
}
