import { type FinalizeVersionInput, NotFoundError } from '@vector/core';
import { branchMoved, readBranchHead } from './branch-head.js';
import { readCommit } from './git-reader.js';
import { commitShaSchema } from './github-names.js';
import { githubMessageOf, statusOf, toVectorError } from './github-error.js';
import { relateCommits } from './relate-commits.js';
import { type RepositoryContext, repoParams } from './repository-context.js';

/** Moves before giving up when the branch keeps changing between reading and moving it. */
const MAX_ATTEMPTS = 3;

/** GitHub's 422 answers when the branch is not where the request assumed (a race with another writer). */
function isRefRace(error: unknown): boolean {
  return statusOf(error) === 422 && /not a fast forward|already exists|does not exist/i.test(githubMessageOf(error));
}

async function moveBranch(context: RepositoryContext, head: string | null, ref: string): Promise<void> {
  const { branch } = context.location;
  if (head === null) await context.octokit.rest.git.createRef({ ...repoParams(context), ref: `refs/heads/${branch}`, sha: ref });
  // force: false makes GitHub refuse anything but a fast-forward, atomically on its side.
  else await context.octokit.rest.git.updateRef({ ...repoParams(context), ref: `heads/${branch}`, sha: ref, force: false });
}

/**
 * Phase two of a save: publishes a recorded version by fast-forwarding the branch to its
 * commit (creating the branch when missing). Idempotent: a branch already at `ref`, or
 * already past it (a later version was published first), is left alone. A branch that moved
 * to history `ref` does not contain (someone pushed) is a `ConflictError`; the push is kept.
 * `parentRef` is only named in a conflict's details.
 */
export async function finalizeVersion(context: RepositoryContext, input: Pick<FinalizeVersionInput, 'ref' | 'parentRef'>): Promise<void> {
  const { ref } = input;
  if (!commitShaSchema.safeParse(ref).success) throw new NotFoundError({ entity: 'version', id: ref.slice(0, 80) });
  let checked = false;
  for (let attempt = 1; ; attempt += 1) {
    const head = await readBranchHead(context);
    if (head === ref) return;
    // In a shared repository, another project's version must never be published here.
    if (!checked) await readCommit(context, ref);
    checked = true;
    try {
      await moveBranch(context, head, ref);
      return;
    } catch (error) {
      if (statusOf(error) === 422 && /object does not exist/i.test(githubMessageOf(error))) throw new NotFoundError({ entity: 'version', id: ref, cause: error });
      if (!isRefRace(error)) throw toVectorError(error, 'publishing the version');
      const now = await readBranchHead(context);
      // compare base...head: `ahead` means `now` already contains `ref`, `behind` that it can still fast-forward.
      const relation = now === null ? 'behind' : (await relateCommits(context, ref, now)).status;
      if (relation === 'identical' || relation === 'ahead') return;
      if (relation !== 'behind' || attempt >= MAX_ATTEMPTS) {
        const { owner, repository, branch } = context.location;
        throw branchMoved(context, {
          expectedRef: input.parentRef,
          actualRef: now,
          ref,
          message: `Version ${ref} is saved but branch ${branch} of ${owner}/${repository} could not be moved to it: the branch is at ${now ?? '(no commit)'}, which the version does not build on (someone pushed). Nothing was overwritten; the version stays readable by its commit.`,
          cause: error,
        });
      }
    }
  }
}
