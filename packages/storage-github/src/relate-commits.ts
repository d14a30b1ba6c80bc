import { statusOf, toVectorError } from './github-error.js';
import { type RepositoryContext, repoParams } from './repository-context.js';

/**
 * How `head` relates to `base`: `ahead` when `base` is an ancestor of `head`, `behind` for
 * the reverse, `diverged` when each has commits the other lacks, `unrelated` when they share
 * no history (or GitHub does not know one of them).
 */
export type CommitRelation = 'identical' | 'ahead' | 'behind' | 'diverged' | 'unrelated';

/**
 * Asks GitHub's compare endpoint how two commits relate. One request answers any distance,
 * which a walk through the Git Data API (one request per commit) cannot do within a bound.
 */
export async function relateCommits(context: RepositoryContext, base: string, head: string): Promise<CommitRelation> {
  if (base === head) return 'identical';
  try {
    // Only `status` is read; one commit per page keeps the answer small.
    const { data } = await context.octokit.rest.repos.compareCommitsWithBasehead({ ...repoParams(context), basehead: `${base}...${head}`, per_page: 1, request: { signal: context.signal } });
    return data.status;
  } catch (error) {
    // GitHub answers 404 both for an unknown commit and for two commits without a common ancestor.
    if (statusOf(error) === 404) return 'unrelated';
    throw toVectorError(error, 'comparing commits');
  }
}
