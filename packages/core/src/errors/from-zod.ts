import type { z } from 'zod';
import { ValidationError } from './validation-error.js';

/** Parses `input` with `schema`, turning zod's failure into a {@link ValidationError}. */
export function parseInput<Schema extends z.ZodType>(schema: Schema, input: unknown, what: string): z.output<Schema> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    path: issue.path.map((segment) => (typeof segment === 'symbol' ? String(segment) : segment)),
    message: issue.message,
  }));
  const first = issues[0];
  const where = first && first.path.length > 0 ? ` at ${first.path.join('.')}` : '';
  return fail(new ValidationError({ message: `Invalid ${what}${where}: ${first?.message ?? 'invalid input'}`, issues, cause: result.error }));
}

function fail(error: ValidationError): never {
  throw error;
}
