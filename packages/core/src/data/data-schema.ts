import { z } from 'zod';
import { dataColumnTypeSchema } from '../schemas/data-table.js';
import { columnValueSchema } from './column-values.js';

/** The file in a version that declares its project's runtime data: tables, columns, indexes and access rules. */
export const DATA_SCHEMA_FILE = 'vector.data.json';

const identifier = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,62}$/, 'names are identifiers: a letter or _, then letters, digits or _ (at most 63)');

/** One column as the schema file declares it. */
export const dataSchemaColumnSchema = z
  .object({
    type: dataColumnTypeSchema,
    /** A row must have a non-null value. */
    required: z.boolean().default(false),
    /** Filled in when a row is inserted without it, and into existing rows when the column is added. */
    default: z.json().optional(),
    /** The column's name in the schema this one replaces: a rename, which keeps the values (not a drop and an add). */
    renamedFrom: identifier.optional(),
  })
  .strict();
/** One column as the schema file declares it. */
export type DataSchemaColumn = z.infer<typeof dataSchemaColumnSchema>;

/** An index over columns; `unique` makes the runtime API refuse a second row with the same values. */
export const dataSchemaIndexSchema = z.object({ columns: z.array(identifier).min(1).max(8), unique: z.boolean().default(false) }).strict();
/** An index over columns. */
export type DataSchemaIndex = z.infer<typeof dataSchemaIndexSchema>;

/** What a deployment's data token may do with a table; everything is refused unless allowed here. */
export const dataAccessRulesSchema = z
  .object({ read: z.boolean().default(false), insert: z.boolean().default(false), update: z.boolean().default(false), delete: z.boolean().default(false) })
  .strict();
/** What a deployment's data token may do with a table. */
export type DataAccessRules = z.infer<typeof dataAccessRulesSchema>;

/** One table as the schema file declares it. */
export const dataSchemaTableSchema = z
  .object({
    columns: z.record(identifier, dataSchemaColumnSchema).refine((columns) => Object.keys(columns).length >= 1 && Object.keys(columns).length <= 200, 'a table has 1 to 200 columns'),
    indexes: z.array(dataSchemaIndexSchema).max(32).default([]),
    access: dataAccessRulesSchema.prefault({}),
    /** The table's name in the schema this one replaces (a rename that keeps its rows). */
    renamedFrom: identifier.optional(),
  })
  .strict()
  .superRefine((table, context) => {
    const names = new Set(Object.keys(table.columns));
    for (const [name, column] of Object.entries(table.columns)) {
      if (column.default !== undefined && column.default !== null && !columnValueSchema(column.type).safeParse(column.default).success) {
        context.addIssue({ code: 'custom', path: ['columns', name, 'default'], message: `the default is not a valid ${column.type}` });
      }
    }
    table.indexes.forEach((index, position) => {
      for (const column of index.columns) if (!names.has(column)) context.addIssue({ code: 'custom', path: ['indexes', position, 'columns'], message: `no column ${column} in this table` });
    });
    const renamed = new Map<string, string>();
    for (const [name, column] of Object.entries(table.columns)) {
      if (column.renamedFrom === undefined) continue;
      if (names.has(column.renamedFrom)) context.addIssue({ code: 'custom', path: ['columns', name, 'renamedFrom'], message: `${column.renamedFrom} is still a column of this table` });
      const other = renamed.get(column.renamedFrom);
      if (other !== undefined) context.addIssue({ code: 'custom', path: ['columns', name, 'renamedFrom'], message: `${other} is renamed from ${column.renamedFrom} too` });
      renamed.set(column.renamedFrom, name);
    }
  });
/** One table as the schema file declares it. */
export type DataSchemaTable = z.infer<typeof dataSchemaTableSchema>;

/**
 * The contents of `vector.data.json`: the project's runtime data as code, in its version.
 *
 * ```json
 * { "tables": { "todos": {
 *   "columns": { "title": { "type": "string", "required": true }, "done": { "type": "boolean", "default": false } },
 *   "indexes": [{ "columns": ["done"] }],
 *   "access": { "read": true, "insert": true, "update": true, "delete": true } } } }
 * ```
 */
export const dataSchemaSchema = z
  .object({ tables: z.record(identifier, dataSchemaTableSchema).refine((tables) => Object.keys(tables).length <= 100, 'at most 100 tables') })
  .strict()
  .superRefine((schema, context) => {
    const names = new Set(Object.keys(schema.tables));
    for (const [name, table] of Object.entries(schema.tables)) {
      if (table.renamedFrom !== undefined && names.has(table.renamedFrom)) context.addIssue({ code: 'custom', path: ['tables', name, 'renamedFrom'], message: `${table.renamedFrom} is still a table` });
    }
  });
/** The contents of `vector.data.json`. */
export type DataSchema = z.infer<typeof dataSchemaSchema>;
