import { errorMessage, ProviderError, retryAfterMs, VectorError } from '@vector/core';

/** The fields of an `@octokit/request-error` RequestError this package reads. */
interface RequestErrorLike {
  status: number;
  message: string;
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
}

/** True for an octokit RequestError (checked structurally; the class is not a dependency). */
export function isRequestError(error: unknown): error is RequestErrorLike {
  return typeof error === 'object' && error !== null && typeof (error as { status?: unknown }).status === 'number' && typeof (error as { message?: unknown }).message === 'string';
}

/** HTTP status of an octokit failure, or undefined for anything else. */
export function statusOf(error: unknown): number | undefined {
  return isRequestError(error) ? error.status : undefined;
}

/** GitHub's `message` field of an error body, e.g. `Update is not a fast forward`. */
export function githubMessageOf(error: unknown): string {
  if (!isRequestError(error)) return '';
  const data = error.response?.data;
  if (typeof data === 'object' && data !== null && typeof (data as { message?: unknown }).message === 'string') return (data as { message: string }).message;
  return error.message;
}

function retryAfterMsOf(error: RequestErrorLike): number | undefined {
  const headers = error.response?.headers ?? {};
  // The primary limit's reset (epoch seconds) applies only once it is used up.
  const hint = retryAfterMs(headers, { resetHeaders: String(headers['x-ratelimit-remaining']) === '0' ? ['x-ratelimit-reset'] : [] });
  return hint === 0 ? undefined : hint;
}

function isRateLimited(error: RequestErrorLike): boolean {
  if (error.status === 429) return true;
  if (error.status !== 403) return false;
  const headers = error.response?.headers ?? {};
  return String(headers['x-ratelimit-remaining']) === '0' || /\bsecondary rate\b/i.test(githubMessageOf(error)) || headers['retry-after'] !== undefined;
}

/**
 * Turns an octokit failure into a Vector error: rate limits and 5xx become retryable
 * `ProviderError`s with GitHub's wait hint, anything else a non-retryable one. Vector errors
 * pass through. The token never appears: octokit redacts it from the request it keeps.
 */
export function toVectorError(error: unknown, action: string): VectorError {
  if (VectorError.isInstance(error)) return error;
  if (!isRequestError(error)) {
    return new ProviderError({ provider: 'github', message: `GitHub ${action} failed: ${errorMessage(error)}`, isRetryable: true, cause: error });
  }
  const limited = isRateLimited(error);
  const retryAfterMs = limited ? retryAfterMsOf(error) : undefined;
  const hint = limited ? ' (rate limited; retry later)' : '';
  return new ProviderError({
    provider: 'github',
    status: error.status,
    message: `GitHub ${action} failed with ${error.status}: ${githubMessageOf(error)}${hint}`,
    isRetryable: limited || error.status >= 500 || error.status === 408,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    cause: error,
  });
}
