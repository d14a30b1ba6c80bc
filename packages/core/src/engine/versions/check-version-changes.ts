import { ValidationError } from '../../errors/validation-error.js';
import { bytesEqual } from '../../files/content.js';
import { findPathConflict, lastWriteInConflict, pathConflictError } from '../../files/path-conflicts.js';
import type { FileChange, FileEntry, SourceFile } from '../../schemas/source-file.js';

/** The version a write is checked against. */
export interface ParentFiles {
  /** Its listing; empty for a first version. */
  entries: ReadonlyArray<FileEntry>;
  /** Reads some of its files; called only to compare writes whose size equals the parent's file. */
  read(paths: string[]): Promise<SourceFile[]>;
}

/** Input of {@link checkVersionChanges}. */
export interface CheckVersionChangesInput {
  /**
   * What will be saved, normalised and free of duplicate paths. With `field: 'files'`, the
   * snapshot's writes first, in the order of `files`, then the deletes it implies.
   */
  changes: ReadonlyArray<FileChange>;
  /** The input field the caller gave, named by the issues. */
  field: 'changes' | 'files';
  parent: ParentFiles;
  /** True for the project's first version (no parent). */
  first: boolean;
}

/**
 * The rules `versions.create` applies before anything is saved, on the file set the version
 * would hold rather than change by change:
 *
 * - a delete names a file of the parent (`<field>.<index>.path`: "does not exist in the parent version");
 * - the result never holds a path both as a file and as a directory (`a` beside `a/b.txt`;
 *   deleting `a/b.txt` and writing `a` in one version is fine);
 * - the result differs from the parent (`<field>`: "nothing to save"): an empty `changes`,
 *   writes of the parent's own content, a snapshot equal to the parent, or a first version
 *   with no files are refused rather than recorded as a version that changes nothing.
 *
 * Content is compared byte for byte, and only read when every write keeps a parent file's size.
 *
 * @throws ValidationError (`VALIDATION_FAILED`) naming the rule and the path that broke it.
 */
export async function checkVersionChanges(input: CheckVersionChangesInput): Promise<void> {
  const { changes, field, parent } = input;
  const parentByPath = new Map(parent.entries.map((entry) => [entry.path, entry]));

  changes.forEach((change, index) => {
    if (change.type !== 'delete' || parentByPath.has(change.path)) return;
    const isDirectory = parent.entries.some((entry) => entry.path.startsWith(`${change.path}/`));
    const reason = isDirectory ? `${change.path} is a directory, not a file, in the parent version: delete the files below it` : `${change.path} does not exist in the parent version`;
    throw new ValidationError({ message: `Cannot delete ${change.path}: ${reason}`, issues: [{ path: [field, index, 'path'], message: reason }] });
  });

  const result = new Set(parentByPath.keys());
  for (const change of changes) {
    if (change.type === 'delete') result.delete(change.path);
    else result.add(change.path);
  }
  const conflict = findPathConflict(result);
  if (conflict) {
    // The parent holds no conflict (every stored version passed this check, and no backend can
    // store one), so one of the writes made it: the last such write is the change to blame.
    throw pathConflictError(conflict, [field, lastWriteInConflict(changes, conflict), 'path']);
  }

  if (await changesAnything(changes, parent, parentByPath)) return;
  const reason = input.first
    ? 'the first version would hold no files: nothing to save'
    : field === 'files'
      ? 'the files are those of the parent version: nothing to save'
      : 'the changes leave the files as they are: nothing to save';
  throw new ValidationError({ message: `${reason.charAt(0).toUpperCase()}${reason.slice(1)}`, issues: [{ path: [field], message: reason }] });
}

/** Whether saving `changes` on the parent gives other files than the parent's (every delete already names a parent file). */
async function changesAnything(changes: ReadonlyArray<FileChange>, parent: ParentFiles, parentByPath: ReadonlyMap<string, FileEntry>): Promise<boolean> {
  const writes: Array<Extract<FileChange, { type: 'write' }>> = [];
  for (const change of changes) {
    if (change.type === 'delete') return true;
    if (parentByPath.get(change.path)?.size !== change.content.byteLength) return true;
    writes.push(change);
  }
  if (writes.length === 0) return false;
  const current = new Map((await parent.read(writes.map((write) => write.path))).map((file) => [file.path, file.content]));
  return writes.some((write) => {
    const content = current.get(write.path);
    return content === undefined || !bytesEqual(content, write.content);
  });
}
