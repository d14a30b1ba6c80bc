import { ConflictError } from '@vector/core';
import { isAutoInitCommit } from './auto-init-commit.js';
import { readBranchHead } from './branch-head.js';
import { listTree, readCommit } from './git-reader.js';
import { githubMessageOf, statusOf, toVectorError } from './github-error.js';
import { type MirroredCommit, mirroredNumberOf } from './mirror-commits.js';
import { type RepositoryContext, repoParams } from './repository-context.js';

/** Where a project's mirror branch is: its head and the version number there (0 for GitHub's initial commit). */
export interface MirrorBranchState {
  head: string | null;
  versionNumber: number;
}

/** Moves before giving up when other publishes keep moving the branch in between. */
const MAX_ATTEMPTS = 3;

/**
 * Reads the project's mirror branch. A branch holding anything but this project's mirrored
 * commits or GitHub's `auto_init` commit (someone pushed, or `repository` names a repository
 * with code in it) is a `ConflictError`: the mirror never overwrites it.
 */
export async function inspectMirrorBranch(context: RepositoryContext, projectId: string): Promise<MirrorBranchState> {
  const head = await readBranchHead(context);
  if (head === null) return { head: null, versionNumber: 0 };
  const commit = await readCommit(context, head, { anyProject: true });
  const versionNumber = mirroredNumberOf(commit, projectId);
  if (versionNumber !== null) return { head, versionNumber };
  if (isAutoInitCommit(commit, await listTree(context, commit.treeSha))) return { head, versionNumber: 0 };
  const { owner, repository, branch } = context.location;
  throw new ConflictError({
    message: `Branch ${branch} of ${owner}/${repository} is at commit ${head}, which the source mirror did not make for project ${projectId}; it is never overwritten. Point the branch back at a mirrored commit (or delete it), or mirror into another repository.`,
    details: { owner, repository, branch, actualRef: head },
  });
}

/**
 * Moves the project's mirror branch to `commit` when that is a newer version than the
 * branch shows (creating the branch when missing): a fast-forward when the commit builds on
 * the head, else a forced move (a version mirrored without its parent). An older version
 * leaves the branch alone, so redeploying an old version never moves the branch back; its
 * commit stays reachable through its tag.
 */
export async function advanceMirrorBranch(context: RepositoryContext, input: { projectId: string; commit: MirroredCommit; known?: MirrorBranchState }): Promise<void> {
  const { commit } = input;
  const { branch } = context.location;
  let state = input.known ?? (await inspectMirrorBranch(context, input.projectId));
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
    if (attempt > 1) state = await inspectMirrorBranch(context, input.projectId);
    if (state.head === commit.sha || (state.head !== null && state.versionNumber >= commit.versionNumber)) return;
    try {
      if (state.head === null) await context.octokit.rest.git.createRef({ ...repoParams(context), ref: `refs/heads/${branch}`, sha: commit.sha, request: { signal: context.signal } });
      else await context.octokit.rest.git.updateRef({ ...repoParams(context), ref: `heads/${branch}`, sha: commit.sha, force: !commit.parents.includes(state.head), request: { signal: context.signal } });
      return;
    } catch (error) {
      // Another publish moved or created the branch in between: look again.
      if (!(statusOf(error) === 422 && /not a fast forward|already exists|does not exist/i.test(githubMessageOf(error)))) throw toVectorError(error, 'moving the mirror branch');
    }
  }
  // Still racing after a few rounds: the others publish newer versions; the commit itself
  // is tagged and buildable, which is what a deployment needs.
}
