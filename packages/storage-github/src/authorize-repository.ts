import { ForbiddenError, type StorageProject } from '@vector/core';
import type { RepositoryAuthorizationRequest } from './github-storage-options.js';
import type { ResolvedGitHubStorageOptions } from './resolve-options.js';

/**
 * Checks that `project` may use `owner/repository`. The repository this backend names for
 * the project (its `owner` plus `repositoryName(project)`) is always allowed; any other one
 * needs `allowProjectRepositories` and, when set, `authorizeRepository`'s consent, because
 * one set of credentials usually reaches every tenant's repositories.
 *
 * @throws ForbiddenError when the project may not use the repository.
 */
export async function authorizeRepository(options: ResolvedGitHubStorageOptions, request: { project: StorageProject; owner: string; repository: string; purpose: RepositoryAuthorizationRequest['purpose'] }): Promise<void> {
  const { project, owner, repository, purpose } = request;
  const ownName = owner.toLowerCase() === options.owner.toLowerCase() && repository.toLowerCase() === options.repositoryName(project).toLowerCase();
  if (ownName) return;
  const what = purpose === 'import' ? 'import from' : 'use';
  if (!options.allowProjectRepositories) {
    throw new ForbiddenError({
      message: `Project ${project.id} may not ${what} repository ${owner}/${repository}: GitHub storage only uses the repository it names for each project unless allowProjectRepositories is on`,
      details: { projectId: project.id, owner, repository, purpose },
    });
  }
  if (options.authorizeRepository && !(await options.authorizeRepository({ project, owner, repository, purpose }))) {
    throw new ForbiddenError({ message: `Project ${project.id} may not ${what} repository ${owner}/${repository} (refused by authorizeRepository)`, details: { projectId: project.id, owner, repository, purpose } });
  }
}
