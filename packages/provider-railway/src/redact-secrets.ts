import { ProviderError, VectorError } from '@vector/core';

/**
 * Returns `error` with every secret value masked in its message. Railway can echo input
 * values in error messages; a secret must never reach the engine's stored error.
 */
export function redactSecrets(error: unknown, secrets: Readonly<Record<string, string>>, provider: string): unknown {
  const values = Object.values(secrets).filter((value) => value.length >= 4);
  if (values.length === 0 || !(error instanceof Error)) return error;
  const leaks = (text: string) => values.some((value) => text.includes(value));
  if (!leaks(error.message) && !(VectorError.isInstance(error) && leaks(JSON.stringify(error.details ?? {})))) return error;
  let message = error.message;
  for (const value of values) message = message.split(value).join('[redacted]');
  // The original (and its cause chain) may hold the secret, so it is not kept as `cause`.
  return new ProviderError({
    provider,
    message,
    status: error instanceof ProviderError ? error.status : undefined,
    isRetryable: VectorError.isInstance(error) ? error.isRetryable : false,
    retryAfterMs: error instanceof ProviderError ? error.retryAfterMs : undefined,
  });
}
