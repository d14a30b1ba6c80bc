import type { EngineContext } from '../engine-context.js';
import { storageFor, toStorageProject } from '../scope-context.js';
import { errorMessage } from '../../helpers/error-message.js';

/** Projects changed longer ago than this were finalized by a later save or a previous start. */
const RECENT_MS = 24 * 60 * 60 * 1000;

/**
 * Publishes again the current version of recently changed projects on backends with a
 * `finalizeVersion` phase: a crash between recording a version and finalizing it leaves the
 * backend's public head (a git branch) behind, and nothing else would move it until the next
 * save. `finalizeVersion` is idempotent, so doing it for finalized versions is harmless.
 * Failures become warnings; they never stop the engine from starting.
 */
export async function refinalizeRecentVersions(engine: EngineContext): Promise<number> {
  const names = [...engine.storage].filter(([, backend]) => typeof backend.finalizeVersion === 'function').map(([name]) => name);
  if (names.length === 0) return 0;
  const since = new Date(engine.now().getTime() - RECENT_MS).toISOString();
  const rows = await engine.db
    .selectFrom('vector_projects as p')
    .innerJoin('vector_code_versions as v', 'v.id', 'p.current_version_id')
    .selectAll('p')
    .select(['v.storage_ref as ref', 'v.parent_id as parent_id'])
    .where('p.storage_backend', 'in', names)
    .where('p.updated_at', '>=', since)
    .execute();
  let finalized = 0;
  for (const row of rows) {
    try {
      const parent = row.parent_id === null ? null : await engine.db.selectFrom('vector_code_versions').select('storage_ref').where('id', '=', row.parent_id).executeTakeFirst();
      await storageFor(engine, row).finalizeVersion?.({ project: toStorageProject(row), ref: row.ref, parentRef: parent?.storage_ref ?? null });
      finalized += 1;
    } catch (error) {
      engine.events.emit('warning', {
        organizationId: row.organization_id,
        projectId: row.id,
        code: 'STORAGE_FINALIZE_FAILED',
        message: `Could not publish the current version of project ${row.id} on start: ${errorMessage(error)}`,
      });
    }
  }
  return finalized;
}
