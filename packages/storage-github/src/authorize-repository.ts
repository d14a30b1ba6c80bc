import { ForbiddenError, type StorageProject } from '@vector/core';
import type { RepositoryAuthorizationRequest } from './github-storage-options.js';
import type { ResolvedGitHubStorageOptions } from './resolve-options.js';

type AuthorizationInput = { project: StorageProject; owner: string; repository: string; purpose: RepositoryAuthorizationRequest['purpose'] };

/**
 * The part of {@link authorizeRepository} that needs no callback: true when the repository is
 * the one this backend names for the project, false when it is another one that
 * `allowProjectRepositories` lets `authorizeRepository` decide on.
 *
 * @throws ForbiddenError when it is another repository and `allowProjectRepositories` is off.
 */
export function checkRepositoryAllowed(options: ResolvedGitHubStorageOptions, request: AuthorizationInput): boolean {
  const { project, owner, repository, purpose } = request;
  const ownName = owner.toLowerCase() === options.owner.toLowerCase() && repository.toLowerCase() === options.repositoryName(project).toLowerCase();
  if (ownName) return true;
  if (!options.allowProjectRepositories) {
    throw new ForbiddenError({
      message: `Project ${project.id} may not ${purpose === 'import' ? 'import from' : 'use'} repository ${owner}/${repository}: GitHub storage only uses the repository it names for each project unless allowProjectRepositories is on`,
      details: { projectId: project.id, owner, repository, purpose },
    });
  }
  return false;
}

/**
 * Checks that `project` may use `owner/repository`. The repository this backend names for
 * the project (its `owner` plus `repositoryName(project)`) is always allowed; any other one
 * needs `allowProjectRepositories` and, when set, `authorizeRepository`'s consent, because
 * one set of credentials usually reaches every tenant's repositories.
 *
 * @throws ForbiddenError when the project may not use the repository.
 */
export async function authorizeRepository(options: ResolvedGitHubStorageOptions, request: AuthorizationInput): Promise<void> {
  if (checkRepositoryAllowed(options, request)) return;
  const { project, owner, repository, purpose } = request;
  if (options.authorizeRepository && !(await options.authorizeRepository({ project, owner, repository, purpose }))) {
    throw new ForbiddenError({ message: `Project ${project.id} may not ${purpose === 'import' ? 'import from' : 'use'} repository ${owner}/${repository} (refused by authorizeRepository)`, details: { projectId: project.id, owner, repository, purpose } });
  }
}
