import { z } from 'zod';
import { idSchema, jsonObjectSchema, timestampSchema } from './common.js';

/** Column types a generated app's tables may declare. */
export const dataColumnTypeSchema = z.enum(['string', 'number', 'integer', 'boolean', 'datetime', 'json']);
/** A column type; see {@link dataColumnTypeSchema}. */
export type DataColumnType = z.infer<typeof dataColumnTypeSchema>;

/** One declared column. */
export const dataColumnSchema = z.object({
  name: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,62}$/, 'column names are identifiers: letters, digits, _'),
  type: dataColumnTypeSchema,
  required: z.boolean().default(false),
  /** Filled in when a row is inserted without the column (from the project's `vector.data.json`). */
  default: z.json().optional(),
});
/** One declared column. */
export type DataColumn = z.infer<typeof dataColumnSchema>;

/** A table of runtime data for a generated app, with a declared column schema. */
export const dataTableSchema = z.object({
  id: idSchema,
  projectId: idSchema,
  organizationId: idSchema,
  name: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,62}$/),
  /** Whose data: `production` (the project's), or `preview:<deployment id>` for a preview's own copy. */
  branch: z.string(),
  columns: z.array(dataColumnSchema).min(1).max(200),
  /** Indexes declared in `vector.data.json`. */
  indexes: z.array(z.object({ columns: z.array(z.string()), unique: z.boolean() })),
  /** What a deployment's data token may do with the table (from `vector.data.json`; nothing for tables made through the API). */
  access: z.object({ read: z.boolean(), insert: z.boolean(), update: z.boolean(), delete: z.boolean() }),
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
});
/** A table of runtime data for a generated app. */
export type DataTable = z.infer<typeof dataTableSchema>;

/** A data migration applied to a project's data: the steps from the schema it had to its version's `vector.data.json`. */
export const dataMigrationSchema = z.object({
  id: idSchema,
  projectId: idSchema,
  organizationId: idSchema,
  /** Whose data: `production` (the project's data) for now. */
  environment: z.string(),
  /** The version whose schema the data now has. */
  versionId: idSchema,
  /** The version whose schema the data had before; null for the first migration. */
  fromVersionId: idSchema.nullable(),
  /** The steps, in order (see `planDataMigration`). */
  steps: z.array(z.record(z.string(), z.unknown())),
  destructive: z.boolean(),
  createdBy: z.string(),
  createdAt: timestampSchema,
});
/** A data migration applied to a project's data. */
export type DataMigration = z.infer<typeof dataMigrationSchema>;

/** One change of a row, as its history keeps it: the row's data after the change (null: deleted). */
export const dataRowVersionSchema = z.object({
  rowId: idSchema,
  tableId: idSchema,
  projectId: idSchema,
  /** The project's data revision the change made (1, 2, 3… across all its tables). */
  revision: z.number().int().positive(),
  data: jsonObjectSchema.nullable(),
  /** Who made it: `user:…`, `api_key:…`, `agent:…` or `system:…`. */
  actor: z.string(),
  createdAt: timestampSchema,
});
/** One change of a row. */
export type DataRowVersion = z.infer<typeof dataRowVersionSchema>;

/** A row; `data` conforms to its table's columns. */
export const dataRowSchema = z.object({
  id: idSchema,
  tableId: idSchema,
  projectId: idSchema,
  data: jsonObjectSchema,
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
});
/** A row of runtime data. */
export type DataRow = z.infer<typeof dataRowSchema>;
