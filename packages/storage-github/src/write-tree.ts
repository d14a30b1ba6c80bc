import { isBinaryContent, ProviderError } from '@vector/core';
import type { FinalFile } from './apply-changes.js';
import type { TreeFile } from './git-reader.js';
import { gitTreeSha } from './git-tree-sha.js';
import { toVectorError } from './github-error.js';
import { checkSignal, mapWithConcurrency, type RepositoryContext, repoParams } from './repository-context.js';

type FileMode = '100644' | '100755' | '120000';
type TreeEntry = { path: string; mode: FileMode; type: 'blob'; sha: string | null } | { path: string; mode: FileMode; type: 'blob'; content: string };

/** What {@link writeTree} turns into a git tree. */
export interface WriteTreeInput {
  /** The files of the tree built on (empty for a new tree). */
  parentFiles: ReadonlyArray<TreeFile>;
  /** That tree's SHA, or null to start from nothing. */
  parentTreeSha: string | null;
  /** Every file the new tree must hold (from `applyChanges`); entries with `content` are written. */
  finalFiles: ReadonlyMap<string, FinalFile>;
}

/**
 * Text files up to this size travel inside the create-tree request instead of one
 * create-blob request each: GitHub spaces writes ≥ 1 s apart and allows ~80 per minute, so
 * this is what keeps a many-file version from taking minutes.
 */
const INLINE_FILE_MAX_BYTES = 256 * 1024;
/** Upper bound of inline content per create-tree request. */
const INLINE_TOTAL_MAX_BYTES = 2 * 1024 * 1024;

async function createTree(context: RepositoryContext, baseTree: string | null, tree: TreeEntry[]): Promise<string> {
  try {
    const { data } = await context.octokit.rest.git.createTree({ ...repoParams(context), ...(baseTree ? { base_tree: baseTree } : {}), tree, request: { signal: context.signal } });
    return data.sha;
  } catch (error) {
    throw toVectorError(error, 'creating a tree');
  }
}

/**
 * Writes the tree holding `finalFiles` through the Git Data API on top of the parent tree:
 * blobs only for content the parent lacks (large and binary files through create-blob, each
 * returned SHA checked; small text inline in the create-tree request), deletions as
 * `sha: null` entries. The created tree is checked against the SHA computed locally from
 * `finalFiles` before anything may point at it, so a tree that lost or gained a file never
 * becomes a commit. Returns the tree's SHA (the parent's, when nothing changed).
 */
export async function writeTree(context: RepositoryContext, input: WriteTreeInput): Promise<string> {
  const { parentFiles, finalFiles } = input;
  const byPath = new Map<string, TreeFile>(parentFiles.map((file) => [file.path, file]));
  const knownBlobs = new Set(parentFiles.map((file) => file.sha));

  // GitHub rejects deleting a path that is not there, so only files the parent has and the
  // new tree lacks are sent.
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

  let treeSha = input.parentTreeSha;
  if (deletions.length === 0 && writes.length === 0 && treeSha !== null) return treeSha;
  // GitHub documents no order for the entries of one request. When a file becomes a
  // directory or the reverse, the deletions go first in a tree of their own, so the result
  // never depends on the order GitHub applies them in.
  const swapsKind = deletions.some((deletion) => writes.some((write) => write.path.startsWith(`${deletion.path}/`) || deletion.path.startsWith(`${write.path}/`)));
  const requests = swapsKind ? [deletions, writes] : [[...deletions, ...writes]];
  for (const entries of requests) {
    if (entries.length === 0 && treeSha !== null) continue;
    treeSha = await createTree(context, treeSha, entries);
  }
  // Every tree is checked against the files it must hold, however they were sent.
  const created = treeSha as string;
  if (created.length === 40) {
    const expected = gitTreeSha([...finalFiles.values()]);
    if (expected !== created) {
      throw new ProviderError({ provider: 'github', isRetryable: false, message: `GitHub built tree ${created} but the files hash to ${expected}; nothing was committed`, details: { expectedTreeSha: expected, treeSha: created } });
    }
  }
  return created;
}
