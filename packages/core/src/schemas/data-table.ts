import { z } from 'zod';
import { idSchema, jsonObjectSchema, timestampSchema } from './common.js';

/** Column types a generated app's tables may declare. */
export const dataColumnTypeSchema = z.enum(['string', 'number', 'integer', 'boolean', 'datetime', 'json']);

/** One declared column. */
export const dataColumnSchema = z.object({
  name: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,62}$/, 'column names are identifiers: letters, digits, _'),
  type: dataColumnTypeSchema,
  required: z.boolean().default(false),
});
/** One declared column. */
export type DataColumn = z.infer<typeof dataColumnSchema>;

/** A table of runtime data for a generated app, with a declared column schema. */
export const dataTableSchema = z.object({
  id: idSchema,
  projectId: idSchema,
  organizationId: idSchema,
  name: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,62}$/),
  columns: z.array(dataColumnSchema).min(1).max(200),
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
});
/** A table of runtime data for a generated app. */
export type DataTable = z.infer<typeof dataTableSchema>;

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
