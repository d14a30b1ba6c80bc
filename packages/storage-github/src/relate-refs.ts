import { NotFoundError, type RefRelation } from '@vector/core';
import { commitShaSchema } from './github-names.js';
import { relateCommits } from './relate-commits.js';
import type { RepositoryContext } from './repository-context.js';

/**
 * How the project's commit `head` relates to its commit `base`, with GitHub compare's
 * `ahead_by` / `behind_by` counts: e.g. `{ status: 'diverged', aheadBy: 2, behindBy: 1 }`
 * when `head` has two commits `base` lacks and lacks one of `base`'s. Refs must be commit
 * SHAs (a branch or tag name would be resolved by GitHub, and a version ref never is one).
 *
 * @throws NotFoundError when a ref is not a commit SHA.
 */
export async function relateRefs(context: RepositoryContext, input: { base: string; head: string }): Promise<RefRelation> {
  for (const ref of [input.base, input.head]) {
    if (!commitShaSchema.safeParse(ref).success) throw new NotFoundError({ entity: 'version', id: ref.slice(0, 80) });
  }
  return relateCommits(context, input.base, input.head);
}
