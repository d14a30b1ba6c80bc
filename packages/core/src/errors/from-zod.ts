import type { z } from 'zod';
import { findUnsafeInput, isFileContentPath } from '../helpers/find-unsafe-input.js';
import { ValidationError } from './validation-error.js';

/**
 * Parses `input` with `schema`, turning zod's failure into a {@link ValidationError}. Before
 * the schema, text no store can hold (a NUL byte, a lone surrogate; file content excepted) and
 * nesting deeper than 64 levels are refused the same way on every database.
 */
export function parseInput<Schema extends z.ZodType>(schema: Schema, input: unknown, what: string): z.output<Schema> {
  const unsafe = findUnsafeInput(input, { isBinaryText: isFileContentPath });
  if (unsafe) {
    const where = unsafe.path.length > 0 ? ` at ${unsafe.path.join('.')}` : '';
    return fail(new ValidationError({ message: `Invalid ${what}${where}: it ${unsafe.message}`, issues: [{ path: unsafe.path, message: unsafe.message }] }));
  }
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
