/**
 * The message of anything thrown: `error.message` for an `Error`, else `String(error)`. For
 * the text of a warning, a failed deployment or a wrapped error, where a non-Error was thrown.
 */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
