import { parseInput, type SourceMirrorProject, ValidationError } from '@vector/core';
import { z } from 'zod';
import { branchSchema, nameSchema } from './github-names.js';
import type { GitHubSourceMirrorOptions } from './github-source-mirror-options.js';
import { connectionInput, connectionOptionsShape, type ResolvedGitHubConnection } from './resolve-connection-options.js';

const optionsSchema = z.object({
  ...connectionOptionsShape,
  owner: nameSchema,
  ownerType: z.enum(['organization', 'user']).default('organization'),
  scope: z.enum(['project', 'organization']).default('project'),
  repository: nameSchema.optional(),
  branch: branchSchema.default('main'),
  branchPrefix: z
    .string()
    .max(200)
    .default('vector/')
    .refine((prefix) => branchSchema.safeParse(`${prefix}x`).success, 'a prefix that makes valid branch names'),
  author: z.object({ name: z.string().min(1).max(200), email: z.string().min(3).max(200) }).strict().default({ name: 'Vector', email: 'mirror@vector.invalid' }),
  concurrency: z.number().int().min(1).max(32).default(4),
  name: z.string().default('github'),
});

/** Mirror options after defaults and environment fallbacks. */
export type ResolvedSourceMirrorOptions = Omit<z.output<typeof optionsSchema>, 'repository'> &
  ResolvedGitHubConnection & {
    /** The repository a project's versions go to. */
    repositoryName: (project: SourceMirrorProject) => string;
  };

const slug = (id: string) => id.toLowerCase().replace(/[^a-z0-9-]+/g, '-');

/** Applies defaults and env fallbacks, then validates; throws `ValidationError`. */
export function resolveSourceMirrorOptions(options: GitHubSourceMirrorOptions): ResolvedSourceMirrorOptions {
  const env = options.env ?? process.env;
  const repository = options.repository;
  if (repository !== undefined && typeof repository !== 'string' && typeof repository !== 'function') {
    throw new ValidationError({ message: 'repository must be a name or a function of the project', issues: [{ path: ['repository'], message: 'expected a string or a function' }] });
  }
  const parsed = parseInput(
    optionsSchema,
    { ...options, ...connectionInput(options, 'The GitHub source mirror'), owner: options.owner ?? env.GITHUB_MIRROR_OWNER ?? env.GITHUB_OWNER, repository: typeof repository === 'string' ? repository : undefined },
    'GitHub source mirror options',
  );
  if (typeof repository === 'string' && parsed.scope === 'project') {
    throw new ValidationError({
      message: "A fixed repository name needs scope 'organization' (each project on its own branch); with scope 'project' every project would share one branch. Pass a function of the project instead.",
      issues: [{ path: ['repository'], message: "a fixed name needs scope 'organization'" }],
    });
  }
  const fallback = (project: SourceMirrorProject) => `vector-${slug(parsed.scope === 'project' ? project.id : project.organizationId)}`;
  const { repository: fixed, ...rest } = parsed;
  return {
    ...rest,
    octokit: options.octokit,
    fetch: options.fetch,
    repositoryName: typeof repository === 'function' ? repository : fixed !== undefined ? () => fixed : fallback,
  };
}
