/** Values shorter than this are not masked: they would mangle ordinary words. */
const MIN_SECRET_LENGTH = 4;

/**
 * `text` with every secret value (of 4 characters or more) replaced by `[redacted]`: for log
 * lines and error messages a provider writes about code that was given secrets.
 */
export function maskSecrets(text: string, secretValues: ReadonlyArray<string>): string {
  let result = text;
  for (const value of secretValues) if (value.length >= MIN_SECRET_LENGTH) result = result.split(value).join('[redacted]');
  return result;
}
