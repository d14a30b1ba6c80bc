import { z } from 'zod';
import type { DataColumnType } from '../schemas/data-table.js';



const valueSchemas: Record<DataColumnType, z.ZodType> = {
  string: z.string().max(1_000_000),
  number: z.number().finite(),
  integer: z.number().int(),
  boolean: z.boolean(),
  datetime: z.string().datetime({ offset: true }),
  json: z.json(),
};

/** The schema a non-null value of a column of `type` must satisfy. */
export function columnValueSchema(type: DataColumnType): z.ZodType {
  return valueSchemas[type];
}

// Conversions that keep every value's meaning: anything to json or string (json as its JSON
// text), integer or boolean to number, boolean to integer. Every other change can fail or lose
// information, so a migration that makes it is destructive.
const widening: ReadonlySet<string> = new Set(['integer>number', 'boolean>number', 'boolean>integer', 'datetime>string', 'integer>string', 'number>string', 'boolean>string', 'json>string']);

/** Whether changing a column from `from` to `to` can fail or lose information (then it needs the destructive flag). */
export function isNarrowing(from: DataColumnType, to: DataColumnType): boolean {
  return from !== to && to !== 'json' && !widening.has(`${from}>${to}`);
}

/** A value converted to another column type, or why it cannot be. */
export type Conversion = { ok: true; value: unknown } | { ok: false; reason: string };

/** Converts one non-null value of a `from` column to `to`, checking the result against `to`. */
export function convertValue(value: unknown, from: DataColumnType, to: DataColumnType): Conversion {
  let converted: unknown = value;
  if (from !== to) {
    if (to === 'json') converted = value;
    else if (to === 'string') converted = typeof value === 'string' ? value : JSON.stringify(value);
    else if (to === 'number' || to === 'integer') {
      if (typeof value === 'boolean') converted = value ? 1 : 0;
      else if (typeof value === 'string' && value.trim() !== '') converted = Number(value);
    } else if (to === 'boolean') {
      if (value === 'true' || value === 1) converted = true;
      else if (value === 'false' || value === 0) converted = false;
    } else if (to === 'datetime' && typeof value === 'string' && !Number.isNaN(Date.parse(value))) {
      converted = new Date(value).toISOString();
    }
  }
  const checked = columnValueSchema(to).safeParse(converted);
  return checked.success ? { ok: true, value: checked.data } : { ok: false, reason: `${JSON.stringify(value)?.slice(0, 80)} is not a valid ${to}` };
}
