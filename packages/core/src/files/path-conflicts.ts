import { ValidationError } from '../errors/validation-error.js';

/** A path a file set holds as a file while also holding a file below it. */
export interface PathConflict {
  /** The path held as a file, e.g. `a`. */
  file: string;
  /** A file below it, e.g. `a/b.txt`. */
  nested: string;
}

/**
 * Finds a path that a set of normalised file paths holds both as a file and as a directory
 * (`a` beside `a/b.txt`): the one shape no backend can store, since a git tree or a file
 * system entry is either a file or a directory. Only the resulting file set matters: a save
 * that deletes `a/b.txt` and writes `a` is fine, whatever the order of its changes.
 *
 * Linear in the total length of the paths. Returns the first conflict in iteration order,
 * or null when there is none.
 */
export function findPathConflict(paths: Iterable<string>): PathConflict | null {
  const files = new Set(paths);
  for (const path of files) {
    // Stryker disable next-line StringLiteral: indexOf('') is 0, and '' is never a path of the set, so the search goes on from 1 as before
    for (let slash = path.indexOf('/'); slash !== -1; slash = path.indexOf('/', slash + 1)) {
      const ancestor = path.slice(0, slash);
      if (files.has(ancestor)) return { file: ancestor, nested: path };
    }
  }
  return null;
}

/**
 * The index of the last write in `changes` to either path of `conflict`: the change to name
 * when a save's result holds both. -1 when neither was written (the conflict was already there).
 */
export function lastWriteInConflict(changes: ReadonlyArray<{ type: 'write' | 'delete'; path: string }>, conflict: PathConflict): number {
  return changes.findLastIndex((change) => change.type === 'write' && (change.path === conflict.file || change.path === conflict.nested));
}

/**
 * The `ValidationError` (`VALIDATION_FAILED`) every backend and the engine raise for a
 * {@link PathConflict}, so the message reads the same wherever it is caught.
 *
 * @param issuePath - the field to blame, e.g. `['changes', 3, 'path']`.
 */
export function pathConflictError(conflict: PathConflict, issuePath: ReadonlyArray<string | number>): ValidationError {
  const reason = `${conflict.file} would be both a file and the directory holding ${conflict.nested}`;
  return new ValidationError({
    message: `The resulting files would hold both ${conflict.file} and ${conflict.nested}: ${reason}; delete one of them (deleting every file below ${conflict.file}/ turns the directory into a file)`,
    issues: [{ path: issuePath, message: reason }],
  });
}
