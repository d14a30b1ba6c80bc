import { parseInput, type StorageProject } from '@vector/core';
import { z } from 'zod';
import { branchSchema, nameSchema } from './github-names.js';

/** Where one project's versions live on GitHub. */
export interface RepositoryLocation {
  owner: string;
  repository: string;
  branch: string;
  /** True when project settings named the repository (such repositories are never deleted). */
  userConfigured: boolean;
}

const settingsSchema = z.object({
  owner: nameSchema.optional(),
  repository: nameSchema.optional(),
  branch: branchSchema.optional(),
});

/**
 * Default repository name: the project name as a lower-case slug plus the project id, so
 * two projects called "app" never share a repository. GitHub allows 100 characters.
 */
export function defaultRepositoryName(project: StorageProject): string {
  const id = project.id.toLowerCase().replace(/[^a-z0-9-]+/g, '-');
  const slug = project.name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, Math.max(0, 99 - id.length));
  return slug.length > 0 ? `${slug}-${id}` : id;
}

/** Resolves a project's repository from its settings, falling back to the backend's defaults. */
export function locateRepository(project: StorageProject, defaults: { owner: string; branch: string; repositoryName: (project: StorageProject) => string }): RepositoryLocation {
  const settings = parseInput(settingsSchema, project.settings ?? {}, 'GitHub storage settings of the project');
  const repository = settings.repository ?? parseInput(nameSchema, defaults.repositoryName(project), 'repository name');
  return {
    owner: settings.owner ?? defaults.owner,
    repository,
    branch: settings.branch ?? defaults.branch,
    userConfigured: settings.repository !== undefined || settings.owner !== undefined,
  };
}
