import { CancelledError, type SaveVersionInput, type SaveVersionResult, sha256Hex } from '@vector/core';
import { createObjectStore, insertObjects, type NewObject, packObjects } from './object-store.js';
import { resolveRoot, type StorageContext } from './storage-context.js';
import { buildTree } from './tree-builder.js';
import { validateChanges } from './validate-changes.js';

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError({ message: 'Saving the version was cancelled', cause: signal.reason });
}

/**
 * Writes the blobs of the changed files and the directory trees on their paths, then the
 * version row, in one transaction. Unchanged blobs and subtrees are shared with the parent,
 * so the cost is O(changed files), not O(project). The ref is the SHA-256 of the version's
 * project, parent, root tree, message and author: saving the same thing twice is idempotent.
 */
export async function saveVersion(context: StorageContext, input: SaveVersionInput): Promise<Required<SaveVersionResult>> {
  throwIfAborted(input.signal);
  const projectId = input.project.id;
  const changes = validateChanges(input.changes, context.maxFileBytes);
  const parentRoot = input.parentRef === null ? null : await resolveRoot(context.db, projectId, input.parentRef);
  const built = await buildTree({
    store: createObjectStore(context.db, projectId, undefined, context.cache),
    rootHash: parentRoot,
    changes: changes.map((change) => (change.type === 'write' ? { type: 'write', path: change.path, hash: change.hash, size: change.size } : change)),
  });

  // Only the last write of a path survives into the tree; earlier ones would be garbage.
  const finalWrites = new Map<string, NewObject | null>();
  for (const change of changes) finalWrites.set(change.path, change.type === 'write' ? { hash: change.hash, raw: change.content } : null);
  const blobs = [...finalWrites.values()].filter((blob): blob is NewObject => blob !== null);
  const rows = await packObjects({ backend: context.backendName, projectId, objects: [...blobs, ...built.trees], compress: context.compress });

  const ref = sha256Hex(JSON.stringify(['vector-storage-version-1', projectId, input.parentRef, built.rootHash, input.message, input.author.name, input.author.email]));
  throwIfAborted(input.signal);
  await context.db.transaction().execute(async (trx) => {
    const touchedAt = context.now();
    await insertObjects(trx, rows, touchedAt);
    await trx
      .insertInto('vector_storage_versions')
      .values({
        ref,
        backend: context.backendName,
        project_id: projectId,
        parent_ref: input.parentRef,
        root_tree: built.rootHash,
        file_count: built.fileCount,
        message: input.message,
        author_name: input.author.name,
        author_email: input.author.email,
        created_at: touchedAt,
        touched_at: touchedAt,
      })
      .onConflict((conflict) => conflict.column('ref').doUpdateSet({ touched_at: touchedAt }))
      .execute();
  });
  return { ref, fileCount: built.fileCount };
}
