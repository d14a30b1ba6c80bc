import { type FileChange, findPathConflict, lastWriteInConflict, pathConflictError } from '@vector/core';
import { gitBlobSha } from './git-blob-sha.js';
import type { TreeFile } from './git-reader.js';

/** A file of the version being saved: its git mode and blob SHA, plus the bytes when this save wrote it. */
export interface FinalFile {
  path: string;
  mode: string;
  sha: string;
  content?: Uint8Array;
}

/**
 * Applies `changes` in order to the parent's files, with the same rules as every Vector
 * backend: the last change of a path wins, deleting a path that is not a file is a no-op,
 * and the result, not each step, must not hold a path both as a file and as a directory
 * (`a` beside `a/b.txt`): deleting `a/b.txt` and writing `a` is fine in any order, while a
 * result holding both is a `ValidationError` naming the last change that wrote either path.
 * The result is what the new commit's tree must hold.
 */
export function applyChanges(parentFiles: ReadonlyArray<TreeFile>, changes: ReadonlyArray<FileChange>): Map<string, FinalFile> {
  const files = new Map<string, FinalFile>(parentFiles.map((file) => [file.path, { path: file.path, mode: file.mode, sha: file.sha }]));
  for (const change of changes) {
    if (change.type === 'delete') {
      files.delete(change.path);
      continue;
    }
    // An executable or a symlink stays one when its content changes.
    const previous = files.get(change.path)?.mode;
    const mode = previous === '100755' || previous === '120000' ? previous : '100644';
    files.set(change.path, { path: change.path, mode, sha: gitBlobSha(change.content), content: change.content });
  }
  const conflict = findPathConflict(files.keys());
  if (conflict) {
    const index = lastWriteInConflict(changes, conflict);
    throw pathConflictError(conflict, index < 0 ? ['changes'] : ['changes', index, 'path']);
  }
  return files;
}
