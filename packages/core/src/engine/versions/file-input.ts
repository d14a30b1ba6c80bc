import { z } from 'zod';
import { ValidationError } from '../../errors/validation-error.js';
import { normalizeFilePath } from '../../files/path-rules.js';
import { encodeText } from '../../files/content.js';
import type { fileChangeInputSchema } from '../../schemas/inputs.js';
import type { FileChange, fileInputSchema } from '../../schemas/source-file.js';

const base64Pattern = /^[A-Za-z0-9+/]*={0,2}$/;

function toBytes(file: z.output<typeof fileInputSchema>, issuePath: ReadonlyArray<string | number>): Uint8Array {
  if (typeof file.content !== 'string') return file.content;
  if (file.encoding === 'utf8') return encodeText(file.content);
  const compact = file.content.replace(/\s+/g, '');
  if (compact.length % 4 !== 0 || !base64Pattern.test(compact)) {
    throw new ValidationError({ message: `File ${file.path} is marked base64 but is not valid base64`, issues: [{ path: [...issuePath, 'content'], message: 'invalid base64' }] });
  }
  return new Uint8Array(Buffer.from(compact, 'base64'));
}

/**
 * Normalises caller-supplied writes/deletes into storage changes; duplicate paths are an error.
 * `field` is the input field the issues name (`changes`, or `files` for a snapshot).
 */
export function toFileChanges(changes: ReadonlyArray<z.output<typeof fileChangeInputSchema>>, field: 'changes' | 'files' = 'changes'): FileChange[] {
  const seen = new Set<string>();
  return changes.map((change, index) => {
    const path = normalizeFilePath(change.path);
    if (seen.has(path)) throw new ValidationError({ message: `Path ${path} appears twice in one version`, issues: [{ path: [field, index, 'path'], message: 'duplicate path' }] });
    seen.add(path);
    return change.type === 'delete' ? { type: 'delete', path } : { type: 'write', path, content: toBytes(change, [field, index]) };
  });
}

/**
 * Turns a complete file set into writes plus deletes of the parent's paths it lacks: the
 * writes first, in the order of `files` (so a write's index is its file's), then the deletes.
 */
export function snapshotToChanges(files: ReadonlyArray<z.output<typeof fileInputSchema>>, parentPaths: ReadonlyArray<string>): FileChange[] {
  const writes = toFileChanges(files.map((file) => ({ ...file, type: 'write' as const })), 'files');
  const kept = new Set(writes.map((change) => change.path));
  const deletes: FileChange[] = parentPaths.filter((path) => !kept.has(path)).map((path) => ({ type: 'delete', path }));
  return [...writes, ...deletes];
}
