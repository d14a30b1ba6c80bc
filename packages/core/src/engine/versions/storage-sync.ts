import { ConflictError } from '../../errors/conflict-error.js';
import { ValidationError } from '../../errors/validation-error.js';
import type { StorageBackend, StorageHead } from '../../plugins/storage-backend.js';
import type { CodeVersion } from '../../schemas/code-version.js';
import type { Actor } from '../../schemas/common.js';
import type { StorageConflict } from '../../schemas/project.js';
import { writeAudit } from '../audit/audit-writer.js';
import type { EngineContext } from '../engine-context.js';
import { type ProjectRow, storageFor, toStorageProject } from '../scope-context.js';
import { fromJson, toJson } from '../store/json-column.js';
import { toCodeVersion, toProject } from '../store/row-mappers.js';
import { writeVersion } from './version-store.js';

/**
 * What a sync found:
 * - `unsupported`: the project's storage cannot be changed outside Vector;
 * - `in_step`: the branch holds nothing Vector lacks;
 * - `imported`: the branch moved ahead of Vector's head (a push): it is now a new version, `source: 'import'`;
 * - `diverged`: the branch holds commits Vector lacks and lacks Vector's: the project's `storageConflict` says so.
 */
export interface StorageSyncResult {
  status: 'unsupported' | 'in_step' | 'imported' | 'diverged';
  /** The version an import made. */
  version: CodeVersion | null;
}

function externalBackend(engine: EngineContext, project: ProjectRow): (StorageBackend & Required<Pick<StorageBackend, 'readHead' | 'relateRefs' | 'keepOver'>>) | null {
  const backend = storageFor(engine, project);
  return backend.capabilities.externalChanges && backend.readHead && backend.relateRefs && backend.keepOver ? (backend as StorageBackend & Required<Pick<StorageBackend, 'readHead' | 'relateRefs' | 'keepOver'>>) : null;
}

async function currentRef(engine: EngineContext, project: ProjectRow): Promise<string | null> {
  if (!project.current_version_id) return null;
  const row = await engine.db.selectFrom('vector_code_versions').select('storage_ref').where('id', '=', project.current_version_id).executeTakeFirstOrThrow();
  return row.storage_ref;
}

async function reload(engine: EngineContext, project: ProjectRow): Promise<ProjectRow> {
  return engine.db.selectFrom('vector_projects').selectAll().where('id', '=', project.id).executeTakeFirstOrThrow();
}

/** Records (or clears) the project's conflict, audited and announced when it changes. */
async function setConflict(engine: EngineContext, project: ProjectRow, actor: Actor, conflict: StorageConflict | null): Promise<void> {
  const before = project.storage_conflict ? fromJson<StorageConflict>(project.storage_conflict) : null;
  // While a conflict stands Vector writes no version, so its side cannot change: the outside head tells conflicts apart.
  if (before?.externalRef === conflict?.externalRef) return;
  await engine.transaction(async (trx, afterCommit) => {
    const now = engine.nowIso();
    const row = await trx.updateTable('vector_projects').set({ storage_conflict: conflict ? toJson(conflict) : null, updated_at: now }).where('id', '=', project.id).returningAll().executeTakeFirstOrThrow();
    await writeAudit(engine, trx, afterCommit, {
      organizationId: project.organization_id,
      projectId: project.id,
      actor,
      action: conflict ? 'project.storage_diverged' : 'project.storage_in_step',
      entityType: 'project',
      entityId: project.id,
      data: conflict ? { vectorRef: conflict.vectorRef, externalRef: conflict.externalRef, externalMessage: conflict.externalMessage, externalAuthor: conflict.externalAuthor } : { previous: before },
    });
    const updated = toProject(row);
    afterCommit(() => engine.events.emit('project.updated', { organizationId: project.organization_id, projectId: project.id, project: updated }));
  });
}

function importMessage(head: StorageHead): string {
  return head.message.trim().slice(0, 10_000) || `Commit ${head.ref} pushed outside Vector`;
}

/**
 * Brings a project in step with its storage's branch: a push made outside Vector on top of
 * Vector's head becomes a new version (`source: 'import'`, the commit's message and author); a
 * push that leaves out Vector's head puts the project in a conflict state showing both heads.
 * Safe to call at any time, from several processes: a lost race is retried once.
 */
export async function syncProjectFromStorage(engine: EngineContext, input: { project: ProjectRow; actor: Actor }): Promise<StorageSyncResult> {
  try {
    return await syncOnce(engine, input.project, input.actor);
  } catch (error) {
    // Only a lost race conflicts here (an import settles any open storage conflict): retry once on fresh state.
    if (!ConflictError.isInstance(error)) throw error;
    return await syncOnce(engine, await reload(engine, input.project), input.actor);
  }
}

async function syncOnce(engine: EngineContext, project: ProjectRow, actor: Actor): Promise<StorageSyncResult> {
  const backend = externalBackend(engine, project);
  if (!backend) return { status: 'unsupported', version: null };
  const storageProject = toStorageProject(project);
  const head = await backend.readHead({ project: storageProject });
  const ours = await currentRef(engine, project);
  if (head === null || head.ref === ours) {
    await setConflict(engine, project, actor, null);
    return { status: 'in_step', version: null };
  }
  const relation = ours === null ? 'ahead' : (await backend.relateRefs({ project: storageProject, base: ours, head: head.ref })).status;
  if (relation === 'identical' || relation === 'behind') {
    // Vector is ahead (a version not yet published on the branch): nothing to take.
    await setConflict(engine, project, actor, null);
    return { status: 'in_step', version: null };
  }
  if (relation === 'ahead') {
    const version = await writeVersion(engine, {
      project,
      actor,
      parentVersionId: project.current_version_id,
      changes: [],
      existingRef: head.ref,
      author: head.author,
      message: importMessage(head),
      source: 'import',
      settlesStorageConflict: true,
      alsoInTransaction: async (trx) => {
        await trx.updateTable('vector_projects').set({ storage_conflict: null }).where('id', '=', project.id).execute();
      },
    });
    return { status: 'imported', version };
  }
  await setConflict(engine, project, actor, {
    versionId: project.current_version_id as string,
    vectorRef: ours as string,
    externalRef: head.ref,
    externalMessage: head.message.slice(0, 2000),
    externalAuthor: head.author,
    detectedAt: engine.nowIso(),
  });
  return { status: 'diverged', version: null };
}

/**
 * Settles a project's storage conflict, audited (`project.storage_conflict_resolved`):
 * - `external`: the outside head becomes a new version (`source: 'import'`);
 * - `vector`: Vector's head stays, written on top of the outside head (a commit with Vector's
 *   files and both heads as parents, moved onto the branch only if it is still where it was:
 *   never a force-push, the outside commits stay in the history), recorded as a new version.
 * A branch that moved again since the conflict was seen is a `ConflictError` (the conflict is
 * updated to the new head: look again and retry).
 */
export async function resolveStorageConflict(engine: EngineContext, input: { project: ProjectRow; actor: Actor; keep: 'external' | 'vector' }): Promise<CodeVersion> {
  const { project, actor, keep } = input;
  const backend = externalBackend(engine, project);
  if (!backend || !project.storage_conflict) throw new ValidationError({ message: `Project ${project.id} has no storage conflict to settle` });
  const conflict = fromJson<StorageConflict>(project.storage_conflict);
  const storageProject = toStorageProject(project);
  const head = await backend.readHead({ project: storageProject });
  if (head?.ref !== conflict.externalRef) {
    await syncProjectFromStorage(engine, { project, actor });
    throw new ConflictError({ message: `The branch moved again since the conflict was seen (it is at ${head?.ref ?? 'no commit'}); look at the project's storageConflict again and retry`, details: { projectId: project.id, externalRef: head?.ref ?? null } });
  }
  const settle = async (trx: Parameters<NonNullable<Parameters<typeof writeVersion>[1]['alsoInTransaction']>>[0], afterCommit: (callback: () => void) => void, version: CodeVersion) => {
    await trx.updateTable('vector_projects').set({ storage_conflict: null }).where('id', '=', project.id).execute();
    await writeAudit(engine, trx, afterCommit, {
      organizationId: project.organization_id,
      projectId: project.id,
      actor,
      action: 'project.storage_conflict_resolved',
      entityType: 'project',
      entityId: project.id,
      afterId: version.id,
      data: { keep, vectorRef: conflict.vectorRef, externalRef: conflict.externalRef, versionId: version.id, ref: version.storageRef },
    });
  };
  if (keep === 'external') {
    return writeVersion(engine, {
      project,
      actor,
      parentVersionId: conflict.versionId,
      changes: [],
      existingRef: conflict.externalRef,
      author: conflict.externalAuthor,
      message: importMessage({ ref: conflict.externalRef, message: conflict.externalMessage, author: conflict.externalAuthor }),
      source: 'import',
      settlesStorageConflict: true,
      alsoInTransaction: settle,
    });
  }
  const number = await engine.db.selectFrom('vector_code_versions').select('number').where('id', '=', conflict.versionId).executeTakeFirstOrThrow();
  const message = `Keep version ${Number(number.number)} over the outside change ${conflict.externalRef.slice(0, 7)}`;
  let kept: { ref: string };
  try {
    kept = await backend.keepOver({
      project: storageProject,
      ref: conflict.vectorRef,
      over: conflict.externalRef,
      message,
      author: { name: `${actor.type}:${actor.id}`, email: `${actor.type}.${actor.id.replace(/[^a-zA-Z0-9._-]/g, '_')}@users.vector.invalid` },
    });
  } catch (error) {
    // Pushed to again between reading and moving (a ConflictError), or failed: the conflict shows the branch's head as it is now.
    await syncProjectFromStorage(engine, { project, actor }).catch(() => undefined);
    throw error;
  }
  try {
    return await writeVersion(engine, { project, actor, parentVersionId: conflict.versionId, changes: [], existingRef: kept.ref, message, source: 'manual', settlesStorageConflict: true, alsoInTransaction: settle });
  } catch (error) {
    // The branch's push event can arrive between moving the branch and recording the commit:
    // a sync that took the kept commit in as a version already settled it. Record the settling.
    const now = await reload(engine, project);
    const current = now.current_version_id ? await engine.db.selectFrom('vector_code_versions').selectAll().where('id', '=', now.current_version_id).executeTakeFirst() : undefined;
    if (current?.storage_ref !== kept.ref) throw error;
    const version = toCodeVersion(current);
    await engine.transaction((trx, afterCommit) => settle(trx, afterCommit, version));
    return version;
  }
}
