import { z } from 'zod';
import { ValidationError } from '../../errors/validation-error.js';
import { normalizeFilePath } from '../../files/path-rules.js';
import { encodeText } from '../../files/content.js';
import type { FileChange } from '../../schemas/source-file.js';

const base64Pattern = /^[A-Za-z0-9+/]*={0,2}$/;

const fileSchema = z.object({
  path: z.string().min(1).max(1024),
  content: z.union([z.string(), z.instanceof(Uint8Array)]),
  encoding: z.enum(['utf8', 'base64']).default('utf8'),
});

/** A `files` list or `changes` list as accepted from callers. */
export const fileListSchema = z.array(fileSchema).max(100_000);
export const changeListSchema = z
  .array(
    z.discriminatedUnion('type', [
      fileSchema.extend({ type: z.literal('write') }),
      z.object({ type: z.literal('delete'), path: z.string().min(1).max(1024) }),
    ]),
  )
  .max(100_000);

function toBytes(file: z.output<typeof fileSchema>, index: number): Uint8Array {
  if (typeof file.content !== 'string') return file.content;
  if (file.encoding === 'utf8') return encodeText(file.content);
  const compact = file.content.replace(/\s+/g, '');
  if (compact.length % 4 !== 0 || !base64Pattern.test(compact)) {
    throw new ValidationError({ message: `File ${file.path} is marked base64 but is not valid base64`, issues: [{ path: ['files', index, 'content'], message: 'invalid base64' }] });
  }
  return new Uint8Array(Buffer.from(compact, 'base64'));
}

/** Normalises caller-supplied writes/deletes into storage changes; duplicate paths are an error. */
export function toFileChanges(changes: z.output<typeof changeListSchema>): FileChange[] {
  const seen = new Set<string>();
  return changes.map((change, index) => {
    const path = normalizeFilePath(change.path);
    if (seen.has(path)) throw new ValidationError({ message: `Path ${path} appears twice in one version`, issues: [{ path: ['changes', index, 'path'], message: 'duplicate path' }] });
    seen.add(path);
    return change.type === 'delete' ? { type: 'delete', path } : { type: 'write', path, content: toBytes(change, index) };
  });
}

/** Turns a complete file set into writes plus deletes of the parent's paths it lacks. */
export function snapshotToChanges(files: z.output<typeof fileListSchema>, parentPaths: ReadonlyArray<string>): FileChange[] {
  const writes = toFileChanges(files.map((file) => ({ ...file, type: 'write' as const })));
  const kept = new Set(writes.map((change) => change.path));
  const deletes: FileChange[] = parentPaths.filter((path) => !kept.has(path)).map((path) => ({ type: 'delete', path }));
  return [...writes, ...deletes];
}
