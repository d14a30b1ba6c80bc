import { type DiffSide, diffFileSets, type DiffVersionsInput, type FileDiff } from '@vector/core';
import { createObjectStore } from './object-store.js';
import { resolveRoot, type StorageContext } from './storage-context.js';
import { compareTrees, type WalkedFile } from './tree-walker.js';

/**
 * How `toRef` differs from `fromRef` (null: empty), sorted by path, through core's
 * `diffFileSets` so every backend reports renames and patches alike. Subtrees with equal
 * hashes are skipped, and the changed blobs are read in one batch.
 */
export async function diffVersions(context: StorageContext, input: DiffVersionsInput): Promise<FileDiff[]> {
  const projectId = input.project.id;
  const [fromRoot, toRoot] = await Promise.all([input.fromRef === null ? null : resolveRoot(context.db, projectId, input.fromRef), resolveRoot(context.db, projectId, input.toRef)]);
  const store = createObjectStore(context.db, projectId, undefined, context.cache);
  const { removed, added } = await compareTrees({ store, from: fromRoot, to: toRoot });
  const blobs = await store.loadBlobs([...removed, ...added].map((file) => file.hash));
  const side = (file: WalkedFile): DiffSide => ({ path: file.path, hash: file.hash, load: async () => blobs.get(file.hash) as Uint8Array });
  return diffFileSets(removed.map(side), added.map(side));
}
