import type { DataColumnType } from '../schemas/data-table.js';
import { isNarrowing } from './column-values.js';
import type { DataSchema, DataSchemaTable } from './data-schema.js';



/** One step of a data migration. `destructive` steps can lose data; they run only when the caller allows it. */
export type DataMigrationStep =
  | { op: 'create_table'; table: string; destructive: false }
  | { op: 'drop_table'; table: string; destructive: true }
  | { op: 'rename_table'; from: string; to: string; destructive: false }
  | { op: 'add_column'; table: string; column: string; type: DataColumnType; destructive: false }
  | { op: 'drop_column'; table: string; column: string; destructive: true }
  | { op: 'rename_column'; table: string; from: string; to: string; destructive: false }
  | { op: 'change_type'; table: string; column: string; from: DataColumnType; to: DataColumnType; destructive: boolean }
  | { op: 'change_required'; table: string; column: string; required: boolean; destructive: false }
  /** Defaults, indexes or access rules changed: no row changes. */
  | { op: 'update_table'; table: string; changed: Array<'defaults' | 'indexes' | 'access'>; destructive: false };

/** How the rows of one table (named as in the target schema) are rewritten: where each target column's value comes from. */
export interface TableRowPlan {
  /** The table's name before the migration. */
  from: string;
  table: string;
  /** Target column → its source column (before the migration), or null for a new column. */
  sources: Record<string, string | null>;
}

/** What it takes to bring data from one schema to another: the steps, in order, and how each surviving table's rows are rewritten. */
export interface DataMigrationPlan {
  steps: DataMigrationStep[];
  /** True when a step can lose data. */
  destructive: boolean;
  /** Tables whose rows change (renamed, dropped, added or converted columns). */
  rows: TableRowPlan[];
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The migration from `current` (the schema the data has now; `{ tables: {} }` for none) to
 * `target`, as a diff: tables and columns are matched by name, or by `renamedFrom` when the
 * old name is gone (a rename keeps rows and values). A column whose type changes is converted
 * value by value; a conversion that can fail or lose information (e.g. string to integer),
 * a dropped column and a dropped table are destructive.
 */
export function planDataMigration(current: DataSchema, target: DataSchema): DataMigrationPlan {
  const steps: DataMigrationStep[] = [];
  const rows: TableRowPlan[] = [];
  const claimed = new Set<string>();
  const sourceTable = (name: string, table: DataSchemaTable): string | null => {
    if (current.tables[name]) return name;
    if (table.renamedFrom !== undefined && current.tables[table.renamedFrom] && !target.tables[table.renamedFrom]) return table.renamedFrom;
    return null;
  };

  for (const [name, table] of Object.entries(target.tables)) {
    const from = sourceTable(name, table);
    if (from === null) {
      steps.push({ op: 'create_table', table: name, destructive: false });
      continue;
    }
    claimed.add(from);
    if (from !== name) steps.push({ op: 'rename_table', from, to: name, destructive: false });
    const before = current.tables[from] as DataSchemaTable;
    const sources: Record<string, string | null> = {};
    let rowsChange = from !== name;
    const kept = new Set<string>();
    for (const [column, definition] of Object.entries(table.columns)) {
      const old = before.columns[column] ? column : definition.renamedFrom !== undefined && before.columns[definition.renamedFrom] && !table.columns[definition.renamedFrom] ? definition.renamedFrom : null;
      sources[column] = old;
      if (old === null) {
        steps.push({ op: 'add_column', table: name, column, type: definition.type, destructive: false });
        rowsChange ||= definition.default !== undefined || definition.required;
        continue;
      }
      kept.add(old);
      const previous = before.columns[old] as DataSchemaTable['columns'][string];
      if (old !== column) {
        steps.push({ op: 'rename_column', table: name, from: old, to: column, destructive: false });
        rowsChange = true;
      }
      if (previous.type !== definition.type) {
        steps.push({ op: 'change_type', table: name, column, from: previous.type, to: definition.type, destructive: isNarrowing(previous.type, definition.type) });
        rowsChange = true;
      }
      if (previous.required !== definition.required) {
        steps.push({ op: 'change_required', table: name, column, required: definition.required, destructive: false });
        rowsChange ||= definition.required;
      }
    }
    for (const column of Object.keys(before.columns)) {
      if (kept.has(column)) continue;
      steps.push({ op: 'drop_column', table: name, column, destructive: true });
      rowsChange = true;
    }
    const changed: Array<'defaults' | 'indexes' | 'access'> = [];
    const defaultChanged = Object.entries(sources).some(([column, source]) => source !== null && !same(before.columns[source]?.default ?? null, table.columns[column]?.default ?? null));
    if (defaultChanged) changed.push('defaults');
    if (!same(before.indexes, table.indexes)) changed.push('indexes');
    if (!same(before.access, table.access)) changed.push('access');
    if (changed.length > 0) steps.push({ op: 'update_table', table: name, changed, destructive: false });
    if (rowsChange) rows.push({ from, table: name, sources });
  }
  for (const name of Object.keys(current.tables)) {
    if (!claimed.has(name)) steps.push({ op: 'drop_table', table: name, destructive: true });
  }
  return { steps, destructive: steps.some((step) => step.destructive), rows };
}

/** One step in words, for errors and logs: `drop column todos.note`. */
export function describeDataMigrationStep(step: DataMigrationStep): string {
  switch (step.op) {
    case 'create_table':
    case 'drop_table':
      return `${step.op.replace('_', ' ')} ${step.table}`;
    case 'rename_table':
      return `rename table ${step.from} to ${step.to}`;
    case 'add_column':
      return `add column ${step.table}.${step.column} (${step.type})`;
    case 'drop_column':
      return `drop column ${step.table}.${step.column}`;
    case 'rename_column':
      return `rename column ${step.table}.${step.from} to ${step.to}`;
    case 'change_type':
      return `change ${step.table}.${step.column} from ${step.from} to ${step.to}${step.destructive ? ' (values that do not convert fail the migration)' : ''}`;
    case 'change_required':
      return `make ${step.table}.${step.column} ${step.required ? 'required' : 'optional'}`;
    case 'update_table':
      return `update ${step.table}'s ${step.changed.join(', ')}`;
  }
}
