import { createAppAuth } from '@octokit/auth-app';
import { retry } from '@octokit/plugin-retry';
import { type ThrottlingOptions, throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import { withRequestTimeout } from '@vector/core';
import type { ResolvedGitHubConnection } from './resolve-connection-options.js';

type WriteGroup = NonNullable<Extract<ThrottlingOptions, { onRateLimit: unknown }>['write']>;

/**
 * A write queue with a configurable spacing. plugin-throttling only calls
 * `group.key(id).schedule(options, task)`, and its own group is process-wide with a fixed
 * 1 s spacing; this one belongs to one client.
 */
function createWriteGroup(minIntervalMs: number): WriteGroup {
  let tail: Promise<unknown> = Promise.resolve();
  let lastStart = 0;
  const limiter = {
    schedule<T>(_options: unknown, task: () => Promise<T>): Promise<T> {
      const run = tail.then(async () => {
        const wait = lastStart + minIntervalMs - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        lastStart = Date.now();
        return task();
      });
      tail = run.catch(() => undefined);
      return run;
    },
  };
  // The structural slice above is all the plugin uses of a Bottleneck group.
  return { key: () => limiter } as unknown as WriteGroup;
}

/** Builds the octokit client: auth (token or App installation), retry, throttling and request timeouts. */
export function createGitHubClient(options: ResolvedGitHubConnection): Octokit {
  if (options.octokit) return options.octokit;
  const Client = Octokit.plugin(retry, throttling);
  const { throttle } = options;
  const shouldRetry = (retryAfter: number, _request: unknown, _client: unknown, retryCount: number): boolean =>
    retryCount < throttle.maxRetries && retryAfter <= throttle.maxWaitSeconds;
  const writeGroup = throttle.minWriteIntervalMs === undefined ? {} : { write: createWriteGroup(throttle.minWriteIntervalMs) };
  const auth = options.auth;
  return new Client({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    userAgent: 'vector-storage-github',
    ...(auth && 'token' in auth ? { auth: auth.token } : {}),
    ...(auth && 'appId' in auth ? { authStrategy: createAppAuth, auth: { appId: auth.appId, privateKey: auth.privateKey, installationId: auth.installationId } } : {}),
    request: { fetch: withRequestTimeout(options.fetch ?? globalThis.fetch, options.requestTimeoutMs) },
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    throttle: throttle.enabled
      ? { onRateLimit: shouldRetry, onSecondaryRateLimit: shouldRetry, retryAfterBaseValue: throttle.retryAfterBaseMs, ...writeGroup }
      : { enabled: false },
    // 409 from the Git Data API means an empty repository, never a transient state.
    retry: { retries: options.retry.retries, retryAfterBaseValue: options.retry.retryAfterBaseMs, doNotRetry: [400, 401, 403, 404, 409, 410, 422, 451] },
  });
}
