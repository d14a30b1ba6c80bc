import { parseInput, type StorageProject, ValidationError } from '@vector/core';
import { z } from 'zod';
import { branchSchema, nameSchema } from './github-names.js';
import type { GitHubStorageOptions } from './github-storage-options.js';
import { connectionInput, connectionOptionsShape, type ResolvedGitHubConnection } from './resolve-connection-options.js';
import { defaultRepositoryName } from './repository-location.js';

/** GitHub's blob limit is 100 MiB; a JSON/base64 request needs some room besides the bytes. */
export const GITHUB_MAX_FILE_BYTES = 100 * 1024 * 1024 - 1024 * 1024;

const optionsSchema = z.object({
  ...connectionOptionsShape,
  owner: nameSchema,
  ownerType: z.enum(['organization', 'user']).default('organization'),
  branch: branchSchema.default('main'),
  createRepositories: z.boolean().default(true),
  private: z.boolean().default(true),
  deleteRepositories: z.boolean().default(true),
  maxFileBytes: z.number().int().positive().max(GITHUB_MAX_FILE_BYTES).default(GITHUB_MAX_FILE_BYTES),
  concurrency: z.number().int().min(1).max(32).default(4),
  name: z.string().default('github'),
  allowProjectRepositories: z.boolean().default(false),
});

/** Options after defaults and environment fallbacks. */
export type ResolvedGitHubStorageOptions = z.output<typeof optionsSchema> &
  ResolvedGitHubConnection &
  Pick<GitHubStorageOptions, 'authorizeRepository'> & {
    repositoryName: (project: StorageProject) => string;
  };

/** Applies defaults and env fallbacks, then validates; throws `ValidationError`. */
export function resolveOptions(options: GitHubStorageOptions): ResolvedGitHubStorageOptions {
  const env = options.env ?? process.env;
  const parsed = parseInput(
    optionsSchema,
    { ...options, ...connectionInput(options, 'GitHub storage'), owner: options.owner ?? env.GITHUB_OWNER, repositoryName: undefined, authorizeRepository: undefined },
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
