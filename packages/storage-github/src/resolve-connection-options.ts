import { ValidationError } from '@vector/core';
import { z } from 'zod';
import type { GitHubConnectionOptions } from './github-connection-options.js';

/** Zod fields of {@link GitHubConnectionOptions}; each factory's schema spreads them beside its own. */
export const connectionOptionsShape = {
  auth: z
    .union([
      z.object({ token: z.string().min(1) }).strict(),
      z.object({ appId: z.union([z.number().int().positive(), z.string().min(1)]), privateKey: z.string().min(1), installationId: z.number().int().positive() }).strict(),
    ])
    .optional(),
  baseUrl: z.url().default('https://api.github.com'),
  throttle: z
    .object({
      enabled: z.boolean().default(true),
      maxRetries: z.number().int().min(0).max(10).default(2),
      maxWaitSeconds: z.number().nonnegative().default(60),
      retryAfterBaseMs: z.number().nonnegative().default(1000),
      minWriteIntervalMs: z.number().int().nonnegative().optional(),
    })
    .default({ enabled: true, maxRetries: 2, maxWaitSeconds: 60, retryAfterBaseMs: 1000 }),
  retry: z.object({ retries: z.number().int().min(0).max(10).default(3), retryAfterBaseMs: z.number().nonnegative().default(1000) }).default({ retries: 3, retryAfterBaseMs: 1000 }),
  requestTimeoutMs: z.number().int().positive().max(30 * 60_000).default(90_000),
};

const connectionSchema = z.object(connectionOptionsShape);

/** Connection options after defaults and environment fallbacks: what `createGitHubClient` needs. */
export type ResolvedGitHubConnection = z.output<typeof connectionSchema> & Pick<GitHubConnectionOptions, 'octokit' | 'fetch'>;

function authFromEnv(env: Record<string, string | undefined>): GitHubConnectionOptions['auth'] {
  if (env.GITHUB_TOKEN) return { token: env.GITHUB_TOKEN };
  if (env.GITHUB_APP_ID && env.GITHUB_APP_PRIVATE_KEY && env.GITHUB_APP_INSTALLATION_ID) {
    return { appId: env.GITHUB_APP_ID, privateKey: env.GITHUB_APP_PRIVATE_KEY.replace(/\\n/g, '\n'), installationId: Number(env.GITHUB_APP_INSTALLATION_ID) };
  }
  return undefined;
}

/**
 * The connection part of a factory's input before its zod parse: credentials and API root
 * filled in from the environment, and the non-serialisable members (client, fetch, env)
 * taken out. Throws `ValidationError` when there are no credentials at all.
 */
export function connectionInput(options: GitHubConnectionOptions, what: string): { auth: GitHubConnectionOptions['auth']; baseUrl: string | undefined; octokit: undefined; fetch: undefined; env: undefined } {
  const env = options.env ?? process.env;
  const auth = options.auth ?? authFromEnv(env);
  if (!options.octokit && !auth) {
    throw new ValidationError({ message: `${what} needs credentials: pass auth ({ token } or { appId, privateKey, installationId }) or set GITHUB_TOKEN`, issues: [{ path: ['auth'], message: 'required' }] });
  }
  return { auth, baseUrl: options.baseUrl ?? env.GITHUB_API_URL, octokit: undefined, fetch: undefined, env: undefined };
}
