import type { FileChange, SourceFile } from '../schemas/source-file.js';

/** Applies changes to a file list (later changes win) and returns the result sorted by path. */
export function applyFileChanges(files: ReadonlyArray<SourceFile>, changes: ReadonlyArray<FileChange>): SourceFile[] {
  const byPath = new Map(files.map((file) => [file.path, file]));
  for (const change of changes) {
    if (change.type === 'delete') byPath.delete(change.path);
    else byPath.set(change.path, { path: change.path, content: change.content });
  }
  return [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
