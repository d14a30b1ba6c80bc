import { ProviderError } from '../errors/provider-error.js';
import { VectorError } from '../errors/vector-error.js';

/** Values shorter than this are not masked: they would mangle ordinary words. */
const MIN_SECRET_LENGTH = 4;

/**
 * Returns `error` unchanged unless its message or details contain one of `secrets`; then a
 * `ProviderError` with every such value replaced by `[redacted]`, keeping status and retry
 * hints. Platforms may echo submitted values in their errors, and Vector stores errors on
 * deployments and jobs. The original is not kept as `cause`, since it holds the secret.
 */
export function redactSecretValues(error: unknown, options: { provider: string; secrets: ReadonlyArray<string> }): unknown {
  const values = options.secrets.filter((value) => value.length >= MIN_SECRET_LENGTH);
  if (!(error instanceof Error)) return error;
  // Stryker disable next-line ConditionalExpression,EqualityOperator: a shortcut; with no values to look for nothing leaks, and the error is returned below
  if (values.length === 0) return error;
  const leaks = (text: string) => values.some((value) => text.includes(value));
  if (!leaks(error.message) && !(VectorError.isInstance(error) && leaks(JSON.stringify(error.details ?? {})))) return error;
  let message = error.message;
  for (const value of values) message = message.split(value).join('[redacted]');
  const provider = ProviderError.isInstance(error) ? error.provider : options.provider;
  return new ProviderError({
    provider,
    message,
    // Stryker disable next-line ConditionalExpression: a ProviderError given `status: undefined` is the one given no status
    ...(ProviderError.isInstance(error) && error.status !== undefined ? { status: error.status } : {}),
    isRetryable: VectorError.isInstance(error) ? error.isRetryable : false,
    // Stryker disable next-line ConditionalExpression: a ProviderError given `retryAfterMs: undefined` is the one given none
    ...(ProviderError.isInstance(error) && error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
  });
}
