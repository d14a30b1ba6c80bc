import { ProviderError, VectorError } from '@vector/core';

const MIN_REDACTED_LENGTH = 4;

/**
 * Returns `error` with any secret value removed from its message. A platform may echo a
 * submitted value in an error; Vector errors end up in deployment rows and logs. The
 * original error is dropped as `cause` when it contained a secret, for the same reason.
 */
export function redactSecrets(error: unknown, secrets: ReadonlyArray<string>): unknown {
  const values = secrets.filter((value) => value.length >= MIN_REDACTED_LENGTH);
  if (!(error instanceof Error) || values.length === 0) return error;
  const leaks = (text: string) => values.some((value) => text.includes(value));
  const details = VectorError.isInstance(error) ? JSON.stringify(error.details ?? {}) : '';
  if (!leaks(error.message) && !leaks(details)) return error;
  let message = error.message;
  for (const value of values) message = message.split(value).join('[redacted]');
  if (error instanceof ProviderError) {
    return new ProviderError({ provider: error.provider, message, status: error.status, isRetryable: error.isRetryable, retryAfterMs: error.retryAfterMs });
  }
  return new ProviderError({ provider: 'render', message, isRetryable: VectorError.isInstance(error) ? error.isRetryable : false });
}
