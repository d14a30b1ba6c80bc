import { z } from 'zod';
import type { EngineContext } from '../engine-context.js';
import { toStorageProject } from '../scope-context.js';
import { syncProjectFromStorage } from './storage-sync.js';
import { errorMessage } from '../../helpers/error-message.js';

/** A push to a storage branch, as a webhook reports it. */
export const storagePushSchema = z.object({ owner: z.string().min(1).max(100), repository: z.string().min(1).max(100), branch: z.string().min(1).max(255) });

/**
 * Syncs every project, in any organization, whose storage lives at the pushed branch. Each
 * sync runs as the `system:storage-push` actor inside its own project's organization; one
 * project's failure does not stop the others (it is reported as a warning).
 */
export async function receiveStoragePush(engine: EngineContext, push: z.output<typeof storagePushSchema>) {
  const backends = [...engine.storage.values()].filter((backend) => backend.capabilities.externalChanges && backend.describeLocation);
  const results: Array<{ organizationId: string; projectId: string; status: 'unsupported' | 'in_step' | 'imported' | 'diverged'; versionId: string | null }> = [];
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  for (const backend of backends) {
    let after = '';
    for (;;) {
      const rows = await engine.db.selectFrom('vector_projects').selectAll().where('storage_backend', '=', backend.name).where('id', '>', after).orderBy('id').limit(200).execute();
      if (rows.length === 0) break;
      after = rows[rows.length - 1]?.id ?? after;
      for (const row of rows) {
        let location: ReturnType<NonNullable<typeof backend.describeLocation>>;
        try {
          location = (backend.describeLocation as NonNullable<typeof backend.describeLocation>)({ project: toStorageProject(row) });
        } catch {
          continue;
        }
        if (!same(location.owner, push.owner) || !same(location.repository, push.repository) || location.branch !== push.branch) continue;
        try {
          const result = await syncProjectFromStorage(engine, { project: row, actor: { type: 'system', id: 'storage-push' } });
          results.push({ organizationId: row.organization_id, projectId: row.id, status: result.status, versionId: result.version?.id ?? null });
        } catch (error) {
          engine.events.emit('warning', { organizationId: row.organization_id, projectId: row.id, code: 'STORAGE_SYNC_FAILED', message: `A push to ${push.owner}/${push.repository}@${push.branch} could not be taken in: ${errorMessage(error)}` });
        }
      }
    }
  }
  return results;
}
