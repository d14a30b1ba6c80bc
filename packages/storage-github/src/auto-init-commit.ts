import type { CommitInfo, TreeFile } from './git-reader.js';

/**
 * True for GitHub's `auto_init` commit, what a repository created with `auto_init: true`
 * starts with: a root commit holding a lone `README.md`. Replacing it drops nothing of value.
 */
export function isAutoInitCommit(commit: Pick<CommitInfo, 'parents'>, files: ReadonlyArray<TreeFile>): boolean {
  return commit.parents.length === 0 && files.length === 1 && files[0]?.path === 'README.md';
}
