import { ConflictError, ProviderError } from '@vector/core';
import { statusOf, toVectorError } from './github-error.js';
import { type RepositoryContext, repoParams } from './repository-context.js';

/** The commit the project's branch points at, or null when the branch does not exist. */
export async function readBranchHead(context: RepositoryContext): Promise<string | null> {
  try {
    const { data } = await context.octokit.rest.git.getRef({ ...repoParams(context), ref: `heads/${context.location.branch}`, request: { signal: context.signal } });
    return data.object.sha;
  } catch (error) {
    if (statusOf(error) === 404) return null;
    if (statusOf(error) === 409) {
      const { owner, repository } = context.location;
      throw new ProviderError({ provider: 'github', status: 409, isRetryable: false, message: `Repository ${owner}/${repository} is empty; GitHub's Git Data API needs one commit (create it with auto_init or push a first commit).`, cause: error });
    }
    throw toVectorError(error, 'reading the branch');
  }
}

/** The `ConflictError` for a branch someone else moved; names the commits, never credentials. */
export function branchMoved(context: RepositoryContext, input: { expectedRef: string | null; actualRef: string | null; ref?: string; message?: string; cause?: unknown }): ConflictError {
  const { owner, repository, branch } = context.location;
  const message =
    input.message ?? `Branch ${branch} of ${owner}/${repository} is at ${input.actualRef ?? '(no commit)'} but this version was based on ${input.expectedRef ?? '(none)'}: someone else moved it. Re-read and retry.`;
  return new ConflictError({
    message,
    details: { owner, repository, branch, expectedRef: input.expectedRef, actualRef: input.actualRef, ...(input.ref === undefined ? {} : { ref: input.ref }) },
    ...(input.cause === undefined ? {} : { cause: input.cause }),
  });
}
