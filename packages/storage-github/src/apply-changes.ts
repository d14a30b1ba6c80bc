import { type FileChange, ValidationError } from '@vector/core';
import { gitBlobSha } from './git-blob-sha.js';
import type { TreeFile } from './git-reader.js';

/** A file of the version being saved: its git mode and blob SHA, plus the bytes when this save wrote it. */
export interface FinalFile {
  path: string;
  mode: string;
  sha: string;
  content?: Uint8Array;
}

function ancestorsOf(path: string): string[] {
  const segments = path.split('/');
  return segments.slice(0, -1).map((_, index) => segments.slice(0, index + 1).join('/'));
}

/**
 * Applies `changes` in order to the parent's files, with the same rules as every Vector
 * backend (storage-internal's tree builder): a write below a file or onto a directory is a
 * `ValidationError` naming the change; deleting a path that is not a file is a no-op; the
 * last change of a path wins. The result is what the new commit's tree must hold.
 */
export function applyChanges(parentFiles: ReadonlyArray<TreeFile>, changes: ReadonlyArray<FileChange>): Map<string, FinalFile> {
  const files = new Map<string, FinalFile>(parentFiles.map((file) => [file.path, { path: file.path, mode: file.mode, sha: file.sha }]));
  // Files below each directory, so "is this path a directory" is one lookup.
  const directories = new Map<string, number>();
  const count = (path: string, delta: number) => {
    for (const directory of ancestorsOf(path)) directories.set(directory, (directories.get(directory) ?? 0) + delta);
  };
  for (const path of files.keys()) count(path, 1);

  changes.forEach((change, index) => {
    const reject = (message: string): never => {
      throw new ValidationError({ message: `Change ${index} (${change.path}): ${message}`, issues: [{ path: ['changes', index, 'path'], message }] });
    };
    const existing = files.get(change.path);
    if (change.type === 'delete') {
      if (existing) {
        files.delete(change.path);
        count(change.path, -1);
      }
      return;
    }
    const blockingFile = ancestorsOf(change.path).find((directory) => files.has(directory));
    if (blockingFile !== undefined) reject(`${blockingFile} is a file, so it cannot hold other files`);
    if ((directories.get(change.path) ?? 0) > 0) reject('is a directory holding other files; delete them first');
    // An executable or a symlink stays one when its content changes.
    const mode = existing?.mode === '100755' || existing?.mode === '120000' ? existing.mode : '100644';
    if (!existing) count(change.path, 1);
    files.set(change.path, { path: change.path, mode, sha: gitBlobSha(change.content), content: change.content });
  });
  return files;
}
