import { CancelledError, type FileChange, isBinaryContent, ProviderError } from '@vector/core';
import { applyChanges } from './apply-changes.js';
import { branchMoved, readBranchHead } from './branch-head.js';
import { gitTreeSha } from './git-tree-sha.js';
import { type CommitInfo, listTree, readCommit, type TreeFile } from './git-reader.js';
import { toVectorError } from './github-error.js';
import { relateCommits } from './relate-commits.js';
import { mapWithConcurrency, type RepositoryContext, repoParams } from './repository-context.js';

/** Trailer on every commit this backend makes; tells a Vector version from a repository's own initial commit. */
export const VECTOR_TRAILER = 'Vector-Project';

/** Input of {@link saveVersion}; changes are already validated and normalised. */
export interface SaveVersionInput {
  projectId: string;
  parentRef: string | null;
  changes: ReadonlyArray<FileChange>;
  message: string;
  author: { name: string; email: string };
}

type FileMode = '100644' | '100755' | '120000';
type TreeEntry = { path: string; mode: FileMode; type: 'blob'; sha: string | null } | { path: string; mode: FileMode; type: 'blob'; content: string };

/**
 * Text files up to this size travel inside the create-tree request instead of one
 * create-blob request each: GitHub spaces writes ≥ 1 s apart and allows ~80 per minute, so
 * this is what keeps a many-file version from taking minutes.
 */
const INLINE_FILE_MAX_BYTES = 256 * 1024;
/** Upper bound of inline content per create-tree request. */
const INLINE_TOTAL_MAX_BYTES = 2 * 1024 * 1024;

function checkSignal(context: RepositoryContext): void {
  if (context.signal?.aborted) throw new CancelledError({ message: 'Saving the version was cancelled; nothing was published.', cause: context.signal.reason });
}

/**
 * A branch that is not at `parentRef` is still safe to build on when `parentRef` descends
 * from it: the versions in between were recorded but never published (a crash or a failed
 * `finalizeVersion`), and publishing the new commit fast-forwards over them. The usual gap
 * is one version, answered by the parent's own parent list; longer gaps ask compare once.
 */
async function isBehindParent(context: RepositoryContext, head: string, parent: CommitInfo): Promise<boolean> {
  if (parent.parents.includes(head)) return true;
  return (await relateCommits(context, head, parent.sha)) === 'ahead';
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
  if (files.length === 1 && files[0]?.path === 'README.md') return;
  const { owner, repository, branch } = context.location;
  throw branchMoved(context, {
    expectedRef: null,
    actualRef: root.sha,
    message: `Branch ${branch} of ${owner}/${repository} already holds ${files.length} file(s) in commit ${root.sha}, not a Vector version nor GitHub's initial README commit; a first version would drop them. Use importRepository to adopt an existing repository, or point the project at an empty one.`,
  });
}

async function createTree(context: RepositoryContext, baseTree: string | null, tree: TreeEntry[]): Promise<string> {
  try {
    const { data } = await context.octokit.rest.git.createTree({ ...repoParams(context), ...(baseTree ? { base_tree: baseTree } : {}), tree, request: { signal: context.signal } });
    return data.sha;
  } catch (error) {
    throw toVectorError(error, 'creating a tree');
  }
}

/**
 * Phase one of a save: commits `changes` on top of `parentRef` through the Git Data API —
 * blobs only for content the parent tree lacks, a tree on `base_tree`, a commit whose parent
 * is `parentRef` — and leaves the branch alone; `finalizeVersion` publishes the commit once
 * the engine has recorded it. A branch that holds commits `parentRef` lacks (someone pushed)
 * is a `ConflictError` before anything is written.
 */
export async function saveVersion(context: RepositoryContext, input: SaveVersionInput): Promise<{ ref: string }> {
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
  const byPath = new Map<string, TreeFile>(parentFiles.map((file) => [file.path, file]));
  const knownBlobs = new Set(parentFiles.map((file) => file.sha));
  const finalFiles = applyChanges(parentFiles, input.changes);
  if (foreignRoot) await checkReplaceableRoot(context, foreignRoot, gitTreeSha([...finalFiles.values()]));

  // GitHub rejects deleting a path that is not there, so only files the parent has and the
  // version lacks are sent.
  const deletions: TreeEntry[] = parentFiles.filter((file) => !finalFiles.has(file.path)).map((file) => ({ path: file.path, mode: '100644', type: 'blob', sha: null }));
  const writes: TreeEntry[] = [];
  const uploads = new Map<string, Uint8Array>();
  let inlineBytes = 0;
  for (const file of finalFiles.values()) {
    const { content, path, sha } = file;
    const mode = file.mode as FileMode;
    if (content === undefined || byPath.get(path)?.sha === sha) continue;
    const inline = !knownBlobs.has(sha) && !uploads.has(sha) && content.byteLength <= INLINE_FILE_MAX_BYTES && inlineBytes + content.byteLength <= INLINE_TOTAL_MAX_BYTES && !isBinaryContent(content);
    if (inline) {
      inlineBytes += content.byteLength;
      // Buffer keeps a leading BOM (TextDecoder would drop it), so the bytes round-trip exactly.
      writes.push({ path, mode, type: 'blob', content: Buffer.from(content).toString('utf8') });
      continue;
    }
    if (!knownBlobs.has(sha)) uploads.set(sha, content);
    writes.push({ path, mode, type: 'blob', sha });
  }

  await mapWithConcurrency([...uploads], context.concurrency, async ([sha, content]) => {
    checkSignal(context);
    try {
      const { data } = await context.octokit.rest.git.createBlob({ ...repoParams(context), content: Buffer.from(content).toString('base64'), encoding: 'base64', request: { signal: context.signal } });
      if (data.sha !== sha) throw new ProviderError({ provider: 'github', isRetryable: false, message: `GitHub stored a blob as ${data.sha} but its content hashes to ${sha}; the repository may not use SHA-1` });
    } catch (error) {
      throw toVectorError(error, 'uploading a blob');
    }
  });
  checkSignal(context);

  let treeSha = parent?.treeSha ?? null;
  if (deletions.length > 0 || writes.length > 0 || treeSha === null) {
    // GitHub documents no order for the entries of one request. When a file becomes a
    // directory or the reverse, the deletions go first in a tree of their own, so the result
    // never depends on the order GitHub applies them in.
    const swapsKind = deletions.some((deletion) => writes.some((write) => write.path.startsWith(`${deletion.path}/`) || deletion.path.startsWith(`${write.path}/`)));
    const requests = swapsKind ? [deletions, writes] : [[...deletions, ...writes]];
    for (const entries of requests) {
      if (entries.length === 0 && treeSha !== null) continue;
      treeSha = await createTree(context, treeSha, entries);
    }
    // Every tree is checked against the files it must hold, however they were sent: a tree
    // that lost or gained a file must never become a version.
    const created = treeSha as string;
    if (created.length === 40) {
      const expected = gitTreeSha([...finalFiles.values()]);
      if (expected !== created) {
        throw new ProviderError({ provider: 'github', isRetryable: false, message: `GitHub built tree ${created} but the files hash to ${expected}; the version was not committed`, details: { expectedTreeSha: expected, treeSha: created } });
      }
    }
  }

  let commitSha: string;
  try {
    const { data } = await context.octokit.rest.git.createCommit({
      ...repoParams(context),
      message: `${input.message}\n\n${VECTOR_TRAILER}: ${input.projectId}\n`,
      tree: treeSha as string,
      parents: commitParents,
      author: input.author,
      request: { signal: context.signal },
    });
    commitSha = data.sha;
  } catch (error) {
    throw toVectorError(error, 'creating a commit');
  }
  return { ref: commitSha };
}
