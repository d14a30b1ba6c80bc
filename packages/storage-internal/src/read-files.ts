import { type FileEntry, type GetFileInput, type GetFilesInput, type ListFilesInput, normalizeFilePath, type SourceFile } from '@vector/core';
import { createObjectStore } from './object-store.js';
import { resolveRoot, type StorageContext } from './storage-context.js';
import { compareTrees, filterForPaths } from './tree-walker.js';

/** Paths, sizes and SHA-256 hashes at `ref`, sorted by path; reads trees only, no blobs. */
export async function listFiles(context: StorageContext, input: ListFilesInput): Promise<FileEntry[]> {
  const root = await resolveRoot(context.db, input.project.id, input.ref);
  const { added } = await compareTrees({ store: createObjectStore(context.db, input.project.id, undefined, context.cache), from: null, to: root });
  return added.map((file) => ({ path: file.path, size: file.size, hash: file.hash }));
}

/**
 * Files at `ref`, sorted by path: all of them, or only `paths` (missing ones left out).
 * One query per directory level plus one per 500 distinct blobs.
 */
export async function getFiles(context: StorageContext, input: GetFilesInput): Promise<SourceFile[]> {
  const filter = input.paths === undefined ? undefined : filterForPaths(input.paths.map((path) => normalizeFilePath(path)));
  const root = await resolveRoot(context.db, input.project.id, input.ref);
  const store = createObjectStore(context.db, input.project.id, undefined, context.cache);
  const { added } = await compareTrees({ store, from: null, to: root, ...(filter ? { filter } : {}) });
  const blobs = await store.loadBlobs(added.map((file) => file.hash));
  const handedOut = new Set<string>();
  return added.map((file) => {
    const content = blobs.get(file.hash) as Uint8Array;
    // Files with identical content share one blob; give each caller its own bytes.
    const copy = handedOut.has(file.hash) ? content.slice() : content;
    handedOut.add(file.hash);
    return { path: file.path, content: copy };
  });
}

/** One file at `ref`, or null when the path does not exist there. */
export async function getFile(context: StorageContext, input: GetFileInput): Promise<SourceFile | null> {
  const [file] = await getFiles(context, { project: input.project, ref: input.ref, paths: [input.path] });
  return file ?? null;
}
