import type { RefRelation } from '@vector/core';
import { statusOf, toVectorError } from './github-error.js';
import { type RepositoryContext, repoParams } from './repository-context.js';

/**
 * How `head` relates to `base`: `ahead` when `base` is an ancestor of `head`, `behind` for
 * the reverse, `diverged` when each has commits the other lacks, `unrelated` when they share
 * no history (or GitHub does not know one of them).
 */
export type CommitRelation = RefRelation['status'];

/**
 * Asks GitHub's compare endpoint how two commits relate, with GitHub's counts: `aheadBy`
 * commits `head` has that `base` lacks (`ahead_by`), `behindBy` the reverse (`behind_by`).
 * One request answers any distance, which a walk through the Git Data API (one request per
 * commit) cannot do within a bound. Unrelated commits count 0 both ways (GitHub gives no
 * counts for them).
 */
export async function relateCommits(context: RepositoryContext, base: string, head: string): Promise<RefRelation> {
  if (base === head) return { status: 'identical', aheadBy: 0, behindBy: 0 };
  try {
    // Only the status and counts are read; one commit per page keeps the answer small.
    const { data } = await context.octokit.rest.repos.compareCommitsWithBasehead({ ...repoParams(context), basehead: `${base}...${head}`, per_page: 1, request: { signal: context.signal } });
    return { status: data.status, aheadBy: data.ahead_by, behindBy: data.behind_by };
  } catch (error) {
    // GitHub answers 404 both for an unknown commit and for two commits without a common ancestor.
    if (statusOf(error) === 404) return { status: 'unrelated', aheadBy: 0, behindBy: 0 };
    throw toVectorError(error, 'comparing commits');
  }
}
