import { z } from 'zod';
import type { DataColumn } from '../../schemas/data-table.js';

const columnSchemas: Record<DataColumn['type'], z.ZodType> = {
  string: z.string().max(1_000_000),
  number: z.number().finite(),
  integer: z.number().int(),
  boolean: z.boolean(),
  datetime: z.string().datetime({ offset: true }),
  json: z.json(),
};

/**
 * Builds the zod schema a table's rows must satisfy: declared columns only (unknown keys are
 * an error, so typos surface), required columns present, values of the declared type.
 * `partial` is for updates, where every column is optional.
 */
export function rowSchemaFor(columns: ReadonlyArray<DataColumn>, partial: boolean): z.ZodType<Record<string, unknown>> {
  const shape: Record<string, z.ZodType> = {};
  for (const column of columns) {
    const base = columnSchemas[column.type].nullable();
    shape[column.name] = column.required && !partial ? columnSchemas[column.type] : base.optional();
  }
  return z.strictObject(shape) as unknown as z.ZodType<Record<string, unknown>>;
}
