/**
 * `fetch` with a deadline per call, combined with the caller's signal: the request and the
 * reading of its body are aborted after `timeoutMs`, so a silent server fails the attempt
 * instead of holding a deploy or a save forever. Give it to a client that retries by itself
 * (octokit), so each attempt gets a fresh deadline.
 */
export function withRequestTimeout(base: typeof fetch, timeoutMs: number): typeof fetch {
  return (input, init) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    return base(input, { ...init, signal });
  };
}
