import { ValidationError } from '@vector/core';
import { statusOf, toVectorError } from './github-error.js';
import { type RepositoryContext, repoParams } from './repository-context.js';

/** How {@link ensureRepository} creates a missing repository. */
export interface EnsureRepositoryInput {
  /** Create it when missing; false makes a missing repository a `ValidationError`. */
  create: boolean;
  /** `organization`: `POST /orgs/{owner}/repos`; `user`: `POST /user/repos`. */
  ownerType: 'organization' | 'user';
  private: boolean;
  description: string;
}

/**
 * Makes sure the context's repository exists, creating it with `auto_init` (the Git Data
 * API refuses to work on a repository without commits). Idempotent, and a concurrent
 * creation by someone else counts as success. Returns whether this call created it.
 */
export async function ensureRepository(context: RepositoryContext, input: EnsureRepositoryInput): Promise<boolean> {
  const { owner, repository } = context.location;
  try {
    await context.octokit.rest.repos.get({ ...repoParams(context), request: { signal: context.signal } });
    return false;
  } catch (error) {
    if (statusOf(error) !== 404) throw toVectorError(error, 'reading the repository');
  }
  if (!input.create) {
    throw new ValidationError({ message: `Repository ${owner}/${repository} does not exist and createRepositories is off`, issues: [{ path: ['settings', 'repository'], message: 'not found' }] });
  }
  const body = { name: repository, private: input.private, auto_init: true, description: input.description, request: { signal: context.signal } };
  try {
    if (input.ownerType === 'organization') await context.octokit.rest.repos.createInOrg({ org: owner, ...body });
    else await context.octokit.rest.repos.createForAuthenticatedUser(body);
    return true;
  } catch (error) {
    // A concurrent creation won the race: the repository exists, which is the goal.
    if (statusOf(error) === 422 && /already exists/i.test(JSON.stringify((error as { response?: { data?: unknown } }).response?.data ?? ''))) return false;
    throw toVectorError(error, 'creating the repository');
  }
}
