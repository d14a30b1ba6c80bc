import { createTwoFilesPatch, structuredPatch } from 'diff';
import type { FileDiff, SourceFile } from '../schemas/source-file.js';
import { bytesEqual, decodeText, isBinaryContent } from './content.js';

/** A file in one side of a diff: its bytes, or a loader for them. */
export interface DiffSide {
  path: string;
  /** Backend hash; equal hashes mean equal content, so the loader is not called. */
  hash: string;
  load(): Promise<Uint8Array>;
}

/**
 * Diffs two file sets the way every backend must: added, modified, deleted, and renamed
 * (a deleted and an added file with identical content pair up as one rename). Text files
 * get a unified patch; binary files get `binary: true` and no patch. Output is sorted by path.
 */
export async function diffFileSets(from: ReadonlyArray<DiffSide>, to: ReadonlyArray<DiffSide>): Promise<FileDiff[]> {
  const before = new Map(from.map((file) => [file.path, file]));
  const after = new Map(to.map((file) => [file.path, file]));
  const results: FileDiff[] = [];
  const deleted = [...before.values()].filter((file) => !after.has(file.path));
  const added = [...after.values()].filter((file) => !before.has(file.path));

  // Renames: same content hash, different path. Pair each deleted file with one added file.
  const addedByHash = new Map<string, DiffSide[]>();
  for (const file of added) addedByHash.set(file.hash, [...(addedByHash.get(file.hash) ?? []), file]);
  const renamedTargets = new Set<string>();
  const renamedSources = new Set<string>();
  for (const file of deleted) {
    const candidates = addedByHash.get(file.hash);
    const target = candidates?.shift();
    if (!target) continue;
    renamedTargets.add(target.path);
    renamedSources.add(file.path);
    results.push({ path: target.path, previousPath: file.path, status: 'renamed', binary: isBinaryContent(await target.load()), additions: 0, deletions: 0 });
  }

  for (const file of added) {
    if (renamedTargets.has(file.path)) continue;
    results.push(describe({ path: file.path, status: 'added', before: null, after: await file.load() }));
  }
  for (const file of deleted) {
    if (renamedSources.has(file.path)) continue;
    results.push(describe({ path: file.path, status: 'deleted', before: await file.load(), after: null }));
  }
  for (const [path, next] of after) {
    const previous = before.get(path);
    if (!previous || previous.hash === next.hash) continue;
    const [a, b] = await Promise.all([previous.load(), next.load()]);
    if (bytesEqual(a, b)) continue;
    results.push(describe({ path, status: 'modified', before: a, after: b }));
  }
  return results.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}

/** Convenience: diff two in-memory file lists, hashing by content. */
export function diffSourceFiles(from: ReadonlyArray<SourceFile>, to: ReadonlyArray<SourceFile>): Promise<FileDiff[]> {
  const side = (file: SourceFile): DiffSide => ({ path: file.path, hash: Buffer.from(file.content).toString('base64'), load: async () => file.content });
  return diffFileSets(from.map(side), to.map(side));
}

function describe(input: { path: string; status: 'added' | 'deleted' | 'modified'; before: Uint8Array | null; after: Uint8Array | null }): FileDiff {
  const binary = (input.before !== null && isBinaryContent(input.before)) || (input.after !== null && isBinaryContent(input.after));
  if (binary) return { path: input.path, status: input.status, binary: true, additions: 0, deletions: 0 };
  const oldText = input.before === null ? '' : decodeText(input.before);
  const newText = input.after === null ? '' : decodeText(input.after);
  const oldName = input.before === null ? '/dev/null' : `a/${input.path}`;
  const newName = input.after === null ? '/dev/null' : `b/${input.path}`;
  const patch = createTwoFilesPatch(oldName, newName, oldText, newText, undefined, undefined, { context: 3 });
  const structured = structuredPatch(oldName, newName, oldText, newText, undefined, undefined, { context: 3 });
  let additions = 0;
  let deletions = 0;
  for (const hunk of structured.hunks) {
    for (const line of hunk.lines) {
      if (line.startsWith('+')) additions += 1;
      else if (line.startsWith('-')) deletions += 1;
    }
  }
  return { path: input.path, status: input.status, binary: false, patch, additions, deletions };
}
