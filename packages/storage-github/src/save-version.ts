import { CancelledError, type FileChange, isBinaryContent, ProviderError, ValidationError } from '@vector/core';
import { branchMoved, readBranchHead } from './branch-head.js';
import { gitBlobSha } from './git-blob-sha.js';
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

/** Path and its ancestors must not be a file and a directory at once. */
function checkFileDirectoryClashes(paths: ReadonlySet<string>): void {
  for (const path of paths) {
    const segments = path.split('/');
    for (let length = 1; length < segments.length; length += 1) {
      const directory = segments.slice(0, length).join('/');
      if (paths.has(directory)) {
        throw new ValidationError({ message: `${directory} cannot be both a file and the directory of ${path}`, issues: [{ path: ['changes'], message: `${directory} is a file and a directory` }] });
      }
    }
  }
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
  if (input.parentRef !== null) {
    parent = await readCommit(context, input.parentRef);
    commitParents = [parent.sha];
    // A missing branch lost nothing: the first version was saved on a new branch but never published.
    if (head !== null && head !== parent.sha && !(await isBehindParent(context, head, parent))) throw branchMoved(context, { expectedRef: input.parentRef, actualRef: head });
  } else if (head !== null) {
    // A first version may sit on the repository's own root commit (auto_init's README):
    // it becomes the parent so the branch fast-forwards, but none of its files are kept.
    const headCommit = await readCommit(context, head);
    const isVectorVersion = headCommit.message.includes(`\n${VECTOR_TRAILER}: `);
    if (headCommit.parents.length > 0 || isVectorVersion) throw branchMoved(context, { expectedRef: null, actualRef: head });
    commitParents = [head];
  }
  checkSignal(context);

  const parentFiles = parent ? await listTree(context, parent.treeSha) : [];
  const byPath = new Map<string, TreeFile>(parentFiles.map((file) => [file.path, file]));
  const knownBlobs = new Set(parentFiles.map((file) => file.sha));
  const finalChanges = new Map<string, FileChange>();
  for (const change of input.changes) finalChanges.set(change.path, change);

  const entries: TreeEntry[] = [];
  const uploads = new Map<string, Uint8Array>();
  const finalFiles = new Map(parentFiles.map((file) => [file.path, { path: file.path, mode: file.mode, sha: file.sha }]));
  let inlineBytes = 0;
  for (const [path, change] of finalChanges) {
    const existing = byPath.get(path);
    if (change.type === 'delete') {
      finalFiles.delete(path);
      // GitHub rejects deleting a path that is not there, so only real deletions are sent.
      if (existing) entries.push({ path, mode: '100644', type: 'blob', sha: null });
      continue;
    }
    const sha = gitBlobSha(change.content);
    const mode: FileMode = existing?.mode === '100755' || existing?.mode === '120000' ? existing.mode : '100644';
    finalFiles.set(path, { path, mode, sha });
    if (existing?.sha === sha) continue;
    const inline = !knownBlobs.has(sha) && !uploads.has(sha) && change.content.byteLength <= INLINE_FILE_MAX_BYTES && inlineBytes + change.content.byteLength <= INLINE_TOTAL_MAX_BYTES && !isBinaryContent(change.content);
    if (inline) {
      inlineBytes += change.content.byteLength;
      // Buffer keeps a leading BOM (TextDecoder would drop it), so the bytes round-trip exactly.
      entries.push({ path, mode, type: 'blob', content: Buffer.from(change.content).toString('utf8') });
      continue;
    }
    if (!knownBlobs.has(sha)) uploads.set(sha, change.content);
    entries.push({ path, mode, type: 'blob', sha });
  }
  const finalPaths = new Set(finalFiles.keys());
  checkFileDirectoryClashes(finalPaths);

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
  if (entries.length > 0 || treeSha === null) {
    try {
      const { data } = await context.octokit.rest.git.createTree({ ...repoParams(context), ...(treeSha ? { base_tree: treeSha } : {}), tree: entries, request: { signal: context.signal } });
      treeSha = data.sha;
    } catch (error) {
      throw toVectorError(error, 'creating a tree');
    }
    // Uploaded blobs were checked one by one; inline content is checked through the tree SHA.
    if (inlineBytes > 0 && treeSha.length === 40) {
      const expected = gitTreeSha([...finalFiles.values()]);
      if (expected !== treeSha) {
        throw new ProviderError({ provider: 'github', isRetryable: false, message: `GitHub built tree ${treeSha} but the files hash to ${expected}; the version was not committed`, details: { expectedTreeSha: expected, treeSha } });
      }
    }
  }

  let commitSha: string;
  try {
    const { data } = await context.octokit.rest.git.createCommit({
      ...repoParams(context),
      message: `${input.message}\n\n${VECTOR_TRAILER}: ${input.projectId}\n`,
      tree: treeSha,
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
