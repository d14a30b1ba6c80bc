import { type DiffSide, diffFileSets, type FileDiff } from '@vector/core';
import { listTree, readBlob, readCommit, type TreeFile } from './git-reader.js';
import { statusOf, toVectorError } from './github-error.js';
import { type RepositoryContext, repoParams } from './repository-context.js';

/** GitHub lists at most this many files in a comparison. */
export const COMPARE_FILE_CAP = 300;

function sides(context: RepositoryContext, files: ReadonlyArray<TreeFile>): DiffSide[] {
  return files.map((file) => ({ path: file.path, hash: file.sha, load: () => readBlob(context, file.sha) }));
}

/**
 * The paths compare says changed between `base` and `head`, or null when compare cannot
 * answer exactly: `head` does not descend from `base` (three-dot compare diffs against the
 * merge base), or the file list hit GitHub's cap.
 */
async function changedPathsByCompare(context: RepositoryContext, base: string, head: string): Promise<Map<string, string | null> | null> {
  let data;
  try {
    ({ data } = await context.octokit.rest.repos.compareCommitsWithBasehead({ ...repoParams(context), basehead: `${base}...${head}`, request: { signal: context.signal } }));
  } catch (error) {
    // 404: no common ancestor; 5xx: "diff too large / timed out". Both are answered by the tree walk.
    if (statusOf(error) === 404 || (statusOf(error) ?? 0) >= 500) return null;
    throw toVectorError(error, 'comparing commits');
  }
  if (data.status !== 'ahead' && data.status !== 'identical') return null;
  const files = data.files ?? [];
  if (files.length >= COMPARE_FILE_CAP) return null;
  // path -> blob SHA at head (null: gone at head)
  const changed = new Map<string, string | null>();
  for (const file of files) {
    if (file.status === 'unchanged') continue;
    changed.set(file.filename, file.status === 'removed' ? null : file.sha);
    if (file.status === 'renamed' && file.previous_filename) changed.set(file.previous_filename, null);
  }
  return changed;
}

/**
 * How `toRef` differs from `fromRef`. Uses compare when it gives an exact, complete file
 * list, otherwise walks both trees. Either way the FileDiffs come from core's
 * `diffFileSets` on blob content, so both paths give byte-identical results (renames are
 * exact-content renames, patches are full unified diffs).
 */
export async function diffVersions(context: RepositoryContext, fromRef: string | null, toRef: string): Promise<FileDiff[]> {
  const to = await readCommit(context, toRef);
  if (fromRef === null) return diffFileSets([], sides(context, await listTree(context, to.treeSha)));
  const from = await readCommit(context, fromRef);
  if (from.treeSha === to.treeSha) return [];

  const changed = await changedPathsByCompare(context, from.sha, to.sha);
  if (changed === null) {
    const [before, after] = await Promise.all([listTree(context, from.treeSha), listTree(context, to.treeSha)]);
    return diffFileSets(sides(context, before), sides(context, after));
  }
  // Compare named the changed paths and their new blobs; the old blobs come from the
  // base tree (one listing), so a rename pairs by identical SHA exactly as in a tree walk.
  const before = (await listTree(context, from.treeSha)).filter((file) => changed.has(file.path));
  const after: TreeFile[] = [];
  for (const [path, sha] of changed) if (sha !== null) after.push({ path, mode: '100644', sha, size: 0 });
  return diffFileSets(sides(context, before), sides(context, after));
}
