import { z } from 'zod';
import { ValidationError } from '../../errors/validation-error.js';
import { normalizeFilePath } from '../../files/path-rules.js';
import { encodeText } from '../../files/content.js';
import type { fileChangeInputSchema } from '../../schemas/inputs.js';
import type { FileChange, fileInputSchema } from '../../schemas/source-file.js';

const base64Pattern = /^[A-Za-z0-9+/]*={0,2}$/;

function toBytes(file: z.output<typeof fileInputSchema>, index: number): Uint8Array {
  if (typeof file.content !== 'string') return file.content;
  if (file.encoding === 'utf8') return encodeText(file.content);
  const compact = file.content.replace(/\s+/g, '');
  if (compact.length % 4 !== 0 || !base64Pattern.test(compact)) {
    throw new ValidationError({ message: `File ${file.path} is marked base64 but is not valid base64`, issues: [{ path: ['files', index, 'content'], message: 'invalid base64' }] });
  }
  return new Uint8Array(Buffer.from(compact, 'base64'));
}

/** Normalises caller-supplied writes/deletes into storage changes; duplicate paths are an error. */
export function toFileChanges(changes: ReadonlyArray<z.output<typeof fileChangeInputSchema>>): FileChange[] {
  const seen = new Set<string>();
  return changes.map((change, index) => {
    const path = normalizeFilePath(change.path);
    if (seen.has(path)) throw new ValidationError({ message: `Path ${path} appears twice in one version`, issues: [{ path: ['changes', index, 'path'], message: 'duplicate path' }] });
    seen.add(path);
    return change.type === 'delete' ? { type: 'delete', path } : { type: 'write', path, content: toBytes(change, index) };
  });
}

/** Turns a complete file set into writes plus deletes of the parent's paths it lacks. */
export function snapshotToChanges(files: ReadonlyArray<z.output<typeof fileInputSchema>>, parentPaths: ReadonlyArray<string>): FileChange[] {
  const writes = toFileChanges(files.map((file) => ({ ...file, type: 'write' as const })));
  const kept = new Set(writes.map((change) => change.path));
  const deletes: FileChange[] = parentPaths.filter((path) => !kept.has(path)).map((path) => ({ type: 'delete', path }));
  return [...writes, ...deletes];
}
