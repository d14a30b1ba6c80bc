import { type CollectGarbageInput, type CollectGarbageResult, ValidationError } from '@vector/core';
import type { Kysely } from 'kysely';
import { chunked, createObjectStore } from './object-store.js';
import type { StorageContext } from './storage-context.js';
import type { StorageDatabase } from './storage-schema.js';

const DELETE_CHUNK = 500;

/**
 * Mark and sweep in one transaction, over the rows this backend (by name) wrote only. Roots are the versions in `liveRefs` plus every version
 * saved or re-saved at or after `startedBefore`; everything they reach is kept, and so is any
 * object written or re-written at or after `startedBefore` (saves bump `touched_at` even
 * on objects that already exist). Deletes re-check `touched_at`, so on PostgreSQL a save
 * that commits during the collection keeps what it touched. A missing tree aborts the whole
 * collection rather than deleting on partial knowledge. `removedObjects` counts the deleted
 * version records, trees and blobs; `freedBytes` is the stored (compressed) size of the trees
 * and blobs.
 */
export async function collectGarbage(context: StorageContext, input: CollectGarbageInput): Promise<CollectGarbageResult> {
  const cutoff = input.startedBefore instanceof Date ? input.startedBefore.getTime() : Number.NaN;
  if (!Number.isFinite(cutoff)) throw new ValidationError({ message: 'collectGarbage needs startedBefore as a valid Date', issues: [{ path: ['startedBefore'], message: 'invalid date' }] });
  if (typeof input.liveRefs?.has !== 'function') throw new ValidationError({ message: 'collectGarbage needs liveRefs as a Set', issues: [{ path: ['liveRefs'], message: 'expected a Set' }] });

  const backend = context.backendName;
  return context.db.transaction().execute(async (trx) => {
    let removedObjects = 0;
    let freedBytes = 0;
    // Only rows this backend wrote are candidates: other backends sharing the database get
    // their own `liveRefs` from core, and theirs are not in ours.
    const versions = await trx.selectFrom('vector_storage_versions').select(['ref', 'touched_at']).where('backend', '=', backend).execute();
    const dead = versions.filter((version) => !input.liveRefs.has(version.ref) && Number(version.touched_at) < cutoff);
    const deadRefs = new Set(dead.map((version) => version.ref));
    for (const chunk of chunked([...deadRefs], DELETE_CHUNK)) {
      const deleted = await trx.deleteFrom('vector_storage_versions').where('backend', '=', backend).where('ref', 'in', chunk).where('touched_at', '<', cutoff).executeTakeFirst();
      removedObjects += Number(deleted.numDeletedRows);
    }

    const projects = await trx.selectFrom('vector_storage_objects').select('project_id').distinct().where('backend', '=', backend).where('touched_at', '<', cutoff).execute();
    // Roots are every surviving version of those projects, whichever backend saved it:
    // keeping too much is safe, sweeping what another backend still uses is not.
    const rootsByProject = new Map<string, Set<string>>();
    for (const chunk of chunked(projects.map((row) => row.project_id), DELETE_CHUNK)) {
      const survivors = await trx.selectFrom('vector_storage_versions').select(['project_id', 'root_tree']).where('project_id', 'in', chunk).execute();
      for (const version of survivors) {
        const roots = rootsByProject.get(version.project_id) ?? new Set<string>();
        roots.add(version.root_tree);
        rootsByProject.set(version.project_id, roots);
      }
    }
    for (const { project_id: projectId } of projects) {
      const reachable = await markReachable(trx, projectId, rootsByProject.get(projectId) ?? new Set());
      const candidates = await trx.selectFrom('vector_storage_objects').select('hash').where('backend', '=', backend).where('project_id', '=', projectId).where('touched_at', '<', cutoff).execute();
      const doomed = candidates.map((row) => row.hash).filter((hash) => !reachable.has(hash));
      for (const chunk of chunked(doomed, DELETE_CHUNK)) {
        const deleted = await trx
          .deleteFrom('vector_storage_objects')
          .where('backend', '=', backend)
          .where('project_id', '=', projectId)
          .where('hash', 'in', chunk)
          .where('touched_at', '<', cutoff)
          .returning('stored_bytes')
          .execute();
        removedObjects += deleted.length;
        for (const row of deleted) freedBytes += Number(row.stored_bytes);
      }
    }
    return { removedObjects, freedBytes };
  });
}

/** Every tree and blob hash reachable from `roots`, reading one batch per tree level. */
async function markReachable(db: Kysely<StorageDatabase>, projectId: string, roots: ReadonlySet<string>): Promise<Set<string>> {
  const store = createObjectStore(db, projectId);
  const reachable = new Set<string>();
  // Trees are tracked apart from blobs: a file may hold exactly a tree's bytes (same hash),
  // and that must not stop the tree's children from being marked.
  const expanded = new Set<string>();
  let frontier = [...roots];
  while (frontier.length > 0) {
    for (const hash of frontier) {
      reachable.add(hash);
      expanded.add(hash);
    }
    const trees = await store.loadTrees(frontier);
    const next = new Set<string>();
    for (const entries of trees.values()) {
      for (const entry of entries) {
        if (entry.kind === 'file') reachable.add(entry.hash);
        else if (!expanded.has(entry.hash)) next.add(entry.hash);
      }
    }
    frontier = [...next];
  }
  return reachable;
}
