import type { SaveVersionInput, SaveVersionResult } from '@vector/core';
import { applyChanges } from './apply-changes.js';
import { isAutoInitCommit } from './auto-init-commit.js';
import { branchMoved, readBranchHead } from './branch-head.js';
import { gitTreeSha } from './git-tree-sha.js';
import { type CommitInfo, listTree, readCommit } from './git-reader.js';
import { relateCommits } from './relate-commits.js';
import { checkSignal, type RepositoryContext } from './repository-context.js';
import { writeCommit } from './write-commit.js';
import { writeTree } from './write-tree.js';

/** Trailer on every commit this backend makes; tells a Vector version from a repository's own initial commit. */
export const VECTOR_TRAILER = 'Vector-Project';

/** Input of {@link saveVersion}: the contract's save input, changes already validated and normalised. */
export interface SaveCommitInput extends Pick<SaveVersionInput, 'parentRef' | 'changes' | 'message' | 'author'> {
  /** The project's id, written in the commit's {@link VECTOR_TRAILER} trailer. */
  projectId: string;
}

/**
 * A branch that is not at `parentRef` is still safe to build on when `parentRef` descends
 * from it: the versions in between were recorded but never published (a crash or a failed
 * `finalizeVersion`), and publishing the new commit fast-forwards over them. The usual gap
 * is one version, answered by the parent's own parent list; longer gaps ask compare once.
 */
async function isBehindParent(context: RepositoryContext, head: string, parent: CommitInfo): Promise<boolean> {
  if (parent.parents.includes(head)) return true;
  return (await relateCommits(context, head, parent.sha)).status === 'ahead';
}

/**
 * A first version replaces the files of the branch's root commit, which is only harmless
 * when that commit is GitHub's `auto_init` commit (a lone README.md, what `createProject`
 * makes) or when the version keeps its tree exactly. Any other repository holds someone's
 * code: that is a `ConflictError`, and `importRepository` is the way to adopt it.
 */
async function checkReplaceableRoot(context: RepositoryContext, root: CommitInfo, newTreeSha: string): Promise<void> {
  if (root.treeSha === newTreeSha) return;
  const files = await listTree(context, root.treeSha);
  if (isAutoInitCommit(root, files)) return;
  const { owner, repository, branch } = context.location;
  throw branchMoved(context, {
    expectedRef: null,
    actualRef: root.sha,
    message: `Branch ${branch} of ${owner}/${repository} already holds ${files.length} file(s) in commit ${root.sha}, not a Vector version nor GitHub's initial README commit; a first version would drop them. Use importRepository to adopt an existing repository, or point the project at an empty one.`,
  });
}

/**
 * Phase one of a save: commits `changes` on top of `parentRef` through the Git Data API —
 * blobs only for content the parent tree lacks, a tree on `base_tree`, a commit whose parent
 * is `parentRef` — and leaves the branch alone; `finalizeVersion` publishes the commit once
 * the engine has recorded it. A branch that holds commits `parentRef` lacks (someone pushed)
 * is a `ConflictError` before anything is written.
 */
export async function saveVersion(context: RepositoryContext, input: SaveCommitInput): Promise<SaveVersionResult> {
  const head = await readBranchHead(context);
  let parent: CommitInfo | null = null;
  let commitParents: string[] = [];
  let foreignRoot: CommitInfo | null = null;
  if (input.parentRef !== null) {
    parent = await readCommit(context, input.parentRef);
    commitParents = [parent.sha];
    // A missing branch lost nothing: the first version was saved on a new branch but never published.
    if (head !== null && head !== parent.sha && !(await isBehindParent(context, head, parent))) throw branchMoved(context, { expectedRef: input.parentRef, actualRef: head });
  } else if (head !== null) {
    // A first version may sit on the repository's own root commit (auto_init's README):
    // it becomes the parent so the branch fast-forwards, but none of its files are kept.
    const headCommit = await readCommit(context, head, { anyProject: true });
    const isVectorVersion = headCommit.message.includes(`\n${VECTOR_TRAILER}: `);
    if (headCommit.parents.length > 0 || isVectorVersion) throw branchMoved(context, { expectedRef: null, actualRef: head });
    foreignRoot = headCommit;
    commitParents = [head];
  }
  checkSignal(context);

  const parentFiles = parent ? await listTree(context, parent.treeSha) : [];
  const finalFiles = applyChanges(parentFiles, input.changes);
  if (foreignRoot) await checkReplaceableRoot(context, foreignRoot, gitTreeSha([...finalFiles.values()]));
  const tree = await writeTree(context, { parentFiles, parentTreeSha: parent?.treeSha ?? null, finalFiles });
  checkSignal(context);
  const commitSha = await writeCommit(context, { message: `${input.message}\n\n${VECTOR_TRAILER}: ${input.projectId}\n`, tree, parents: commitParents, author: input.author });
  return { ref: commitSha };
}
