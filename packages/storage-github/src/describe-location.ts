import type { StorageLocation, StorageProject } from '@vector/core';
import { checkRepositoryAllowed } from './authorize-repository.js';
import { locateRepository } from './repository-location.js';
import { repositoryWebUrl } from './repository-web-url.js';
import type { ResolvedGitHubStorageOptions } from './resolve-options.js';

/**
 * Where a project's versions live: its repository's web address, owner, name and branch,
 * from the project's settings and the backend's defaults. Makes no request, so the engine
 * can match a push (a webhook names owner, repository and branch) against every project.
 * A repository named in settings that `authorizeRepository` would have to decide on is
 * described as is; every call that reads it still asks.
 *
 * @throws ValidationError when the project's storage settings are invalid.
 * @throws ForbiddenError when the settings name another repository and `allowProjectRepositories` is off.
 */
export function describeLocation(options: ResolvedGitHubStorageOptions, project: StorageProject): StorageLocation {
  const { owner, repository, branch } = locateRepository(project, options);
  checkRepositoryAllowed(options, { project, owner, repository, purpose: 'settings' });
  return { repositoryUrl: repositoryWebUrl(options.baseUrl, owner, repository), owner, repository, branch };
}
