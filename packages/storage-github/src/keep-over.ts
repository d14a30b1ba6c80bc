import { type KeepOverInput, NotFoundError } from '@vector/core';
import { branchMoved, readBranchHead } from './branch-head.js';
import { readCommit } from './git-reader.js';
import { commitShaSchema } from './github-names.js';
import { githubMessageOf, statusOf, toVectorError } from './github-error.js';
import { type RepositoryContext, repoParams } from './repository-context.js';
import { VECTOR_TRAILER } from './save-version.js';
import { writeCommit } from './write-commit.js';

/** GitHub's 422 answers when the branch is no longer where the update assumed. */
function isLostLease(error: unknown): boolean {
  return statusOf(error) === 422 && /not a fast forward|does not exist/i.test(githubMessageOf(error));
}

/**
 * Settles a divergence in favour of Vector's `ref`: writes a merge commit holding `ref`'s
 * tree whose parents are `[ref, over]` (the outside commits stay in the history, none of
 * their files in the tree), then moves the branch from `over` to it with a non-force
 * update. The branch must still be at `over` (the lease): a branch that moved again is
 * refused before the commit is written, and a move that races the update is refused by
 * GitHub itself (422 "Update is not a fast forward", since the merge commit does not contain
 * the newer commit). Nothing is ever force-pushed or overwritten.
 *
 * @throws ConflictError when the branch is not at `over` (`details.expectedRef` is `over`, `details.actualRef` the branch).
 * @throws NotFoundError when `ref` is not a commit of this project, or `over` not a commit SHA.
 */
export async function keepOver(context: RepositoryContext, input: Omit<KeepOverInput, 'project'> & { projectId: string }): Promise<{ ref: string }> {
  for (const ref of [input.ref, input.over]) {
    if (!commitShaSchema.safeParse(ref).success) throw new NotFoundError({ entity: 'version', id: ref.slice(0, 80) });
  }
  const { owner, repository, branch } = context.location;
  const lost = (actualRef: string | null, cause?: unknown) =>
    branchMoved(context, {
      expectedRef: input.over,
      actualRef,
      ref: input.ref,
      message: `Branch ${branch} of ${owner}/${repository} is at ${actualRef ?? '(no commit)'}, not at ${input.over}: it moved again since the divergence was read. Nothing was overwritten; re-read the branch and settle again.`,
      ...(cause === undefined ? {} : { cause }),
    });
  const head = await readBranchHead(context);
  if (head !== input.over) throw lost(head);
  const kept = await readCommit(context, input.ref);
  const merge = await writeCommit(context, {
    message: `${input.message.trimEnd()}\n\n${VECTOR_TRAILER}: ${input.projectId}\n`,
    tree: kept.treeSha,
    parents: [kept.sha, input.over],
    author: input.author,
  });
  try {
    // force: false: GitHub moves the branch only if the merge commit contains its head (a fast-forward).
    await context.octokit.rest.git.updateRef({ ...repoParams(context), ref: `heads/${branch}`, sha: merge, force: false, request: { signal: context.signal } });
  } catch (error) {
    if (isLostLease(error)) throw lost(await readBranchHead(context), error);
    throw toVectorError(error, 'moving the branch to the merge commit');
  }
  return { ref: merge };
}
