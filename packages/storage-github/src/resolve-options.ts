import { parseInput, type StorageProject, ValidationError } from '@vector/core';
import { z } from 'zod';
import { branchSchema, nameSchema } from './github-names.js';
import type { GitHubStorageOptions } from './github-storage-options.js';
import { defaultRepositoryName } from './repository-location.js';

/** GitHub's blob limit is 100 MiB; a JSON/base64 request needs some room besides the bytes. */
export const GITHUB_MAX_FILE_BYTES = 100 * 1024 * 1024 - 1024 * 1024;


const optionsSchema = z.object({
  auth: z.union([
    z.object({ token: z.string().min(1) }).strict(),
    z.object({ appId: z.union([z.number().int().positive(), z.string().min(1)]), privateKey: z.string().min(1), installationId: z.number().int().positive() }).strict(),
  ]).optional(),
  owner: nameSchema,
  ownerType: z.enum(['organization', 'user']).default('organization'),
  branch: branchSchema.default('main'),
  baseUrl: z.url().default('https://api.github.com'),
  createRepositories: z.boolean().default(true),
  private: z.boolean().default(true),
  deleteRepositories: z.boolean().default(true),
  maxFileBytes: z.number().int().positive().max(GITHUB_MAX_FILE_BYTES).default(GITHUB_MAX_FILE_BYTES),
  concurrency: z.number().int().min(1).max(32).default(4),
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
  name: z.string().default('github'),
  allowProjectRepositories: z.boolean().default(false),
  requestTimeoutMs: z.number().int().positive().max(30 * 60_000).default(90_000),
});

/** Options after defaults and environment fallbacks. */
export type ResolvedGitHubStorageOptions = z.output<typeof optionsSchema> & Pick<GitHubStorageOptions, 'octokit' | 'fetch' | 'authorizeRepository'> & {
  repositoryName: (project: StorageProject) => string;
};

function authFromEnv(env: Record<string, string | undefined>): GitHubStorageOptions['auth'] {
  if (env.GITHUB_TOKEN) return { token: env.GITHUB_TOKEN };
  if (env.GITHUB_APP_ID && env.GITHUB_APP_PRIVATE_KEY && env.GITHUB_APP_INSTALLATION_ID) {
    return { appId: env.GITHUB_APP_ID, privateKey: env.GITHUB_APP_PRIVATE_KEY.replace(/\\n/g, '\n'), installationId: Number(env.GITHUB_APP_INSTALLATION_ID) };
  }
  return undefined;
}

/** Applies defaults and env fallbacks, then validates; throws `ValidationError`. */
export function resolveOptions(options: GitHubStorageOptions): ResolvedGitHubStorageOptions {
  const env = options.env ?? process.env;
  const auth = options.auth ?? authFromEnv(env);
  if (!options.octokit && !auth) {
    throw new ValidationError({ message: 'GitHub storage needs credentials: pass auth ({ token } or { appId, privateKey, installationId }) or set GITHUB_TOKEN', issues: [{ path: ['auth'], message: 'required' }] });
  }
  const parsed = parseInput(
    optionsSchema,
    {
      ...options,
      auth,
      owner: options.owner ?? env.GITHUB_OWNER,
      baseUrl: options.baseUrl ?? env.GITHUB_API_URL,
      octokit: undefined,
      fetch: undefined,
      repositoryName: undefined,
      authorizeRepository: undefined,
      env: undefined,
    },
    'GitHub storage options',
  );
  if (options.authorizeRepository !== undefined && typeof options.authorizeRepository !== 'function') {
    throw new ValidationError({ message: 'authorizeRepository must be a function', issues: [{ path: ['authorizeRepository'], message: 'expected a function' }] });
  }
  return {
    ...parsed,
    octokit: options.octokit,
    fetch: options.fetch,
    repositoryName: options.repositoryName ?? defaultRepositoryName,
    ...(options.authorizeRepository ? { authorizeRepository: options.authorizeRepository } : {}),
  };
}
