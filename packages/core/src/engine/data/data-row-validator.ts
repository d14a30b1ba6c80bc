import { z } from 'zod';
import { columnValueSchema } from '../../data/column-values.js';
import type { DataColumn } from '../../schemas/data-table.js';

/**
 * Builds the zod schema a table's rows must satisfy: declared columns only (unknown keys are
 * an error, so typos surface), required columns present, values of the declared type.
 * `partial` is for updates, where every column is optional.
 */
export function rowSchemaFor(columns: ReadonlyArray<DataColumn>, partial: boolean): z.ZodType<Record<string, unknown>> {
  const shape: Record<string, z.ZodType> = {};
  for (const column of columns) {
    const base = columnValueSchema(column.type).nullable();
    shape[column.name] = column.required && !partial ? columnValueSchema(column.type) : base.optional();
  }
  return z.strictObject(shape) as unknown as z.ZodType<Record<string, unknown>>;
}

/** A new row with the declared defaults filled in where it leaves a column out; anything that is not an object is returned as it is (the row schema refuses it). */
export function withDefaults(columns: ReadonlyArray<DataColumn>, data: unknown): unknown {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return data;
  const filled: Record<string, unknown> = { ...data };
  for (const column of columns) if (column.default !== undefined && filled[column.name] === undefined) filled[column.name] = column.default;
  return filled;
}
