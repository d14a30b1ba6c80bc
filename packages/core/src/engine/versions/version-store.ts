import type { Transaction } from 'kysely';
import { ConflictError } from '../../errors/conflict-error.js';
import { NotFoundError } from '../../errors/not-found-error.js';
import type { CodeVersion, GenerationStatus, ValidationCheck, ValidationStatus, VersionSource } from '../../schemas/code-version.js';
import type { Actor } from '../../schemas/common.js';
import type { FileChange } from '../../schemas/source-file.js';
import { writeAudit } from '../audit/audit-writer.js';
import type { CoreDatabase } from '../store/database-schema.js';
import type { EngineContext } from '../engine-context.js';
import { toCodeVersion } from '../store/row-mappers.js';
import { type ProjectRow, storageFor, toStorageProject } from '../scope-context.js';
import { errorMessage } from '../../helpers/error-message.js';
import { withSpan } from '../telemetry/engine-telemetry.js';

/**
 * The one module that changes a project's versions: it owns `vector_code_versions` and the
 * version pointers on the project row (`version_counter`, `current_version_id`,
 * `published_version_id`). The versions API and the job runner call it; neither writes
 * those tables itself.
 */

/** Everything needed to record one new version. */
export interface WriteVersionInput {
  project: ProjectRow;
  actor: Actor;
  /** The version the writer started from; must still be the project's current one. */
  parentVersionId: string | null;
  changes: ReadonlyArray<FileChange>;
  message: string;
  source: VersionSource;
  restoredFromId?: string | null;
  jobId?: string | null;
  validationStatus?: ValidationStatus;
  /** The check behind `validationStatus`; default null (none ran). */
  validationCheck?: ValidationCheck | null;
  /** Default `not_applicable`; agent output is `completed` or `incomplete`. */
  generationStatus?: GenerationStatus;
  /**
   * A ref the backend already holds (a commit pushed outside Vector, an import, a commit that
   * settled a divergence): recorded as is, without saving `changes` (give none).
   */
  existingRef?: string;
  /** Who wrote an outside commit (recorded on the version). */
  author?: { name: string; email: string } | null;
  /** This write settles the project's storage conflict (the caller clears it in `alsoInTransaction`); any other write is refused while one is open. */
  settlesStorageConflict?: boolean;
  /** Extra writes committed atomically with the version (e.g. completing the job). */
  alsoInTransaction?: (trx: Transaction<CoreDatabase>, afterCommit: (callback: () => void) => void, version: CodeVersion) => Promise<void>;
}

function conflict(project: ProjectRow, expected: string | null, current: string | null): ConflictError {
  return new ConflictError({
    message: `Project ${project.id} has moved on: the write started from version ${expected ?? '(none)'} but the current version is ${current ?? '(none)'}. Re-read and retry.`,
    details: { projectId: project.id, expectedParentVersionId: expected, currentVersionId: current },
  });
}

/**
 * Saves files through the project's storage backend, then records the CodeVersion in one
 * transaction that also advances the project's head — only if the head is still the
 * writer's parent. The conditional UPDATE is the serialisation point on both dialects, so
 * numbers are 1..N without gaps or duplicates under concurrent writers, and a lost race is
 * a ConflictError. Content saved by a loser is unreferenced and garbage-collectable.
 */
export function writeVersion(engine: EngineContext, input: WriteVersionInput): Promise<CodeVersion> {
  const attributes = { 'vector.project.id': input.project.id, 'vector.organization.id': input.project.organization_id, 'vector.version.source': input.source };
  return withSpan(engine.telemetry, 'vector.version.write', { attributes }, async (span) => {
    const version = await saveAndRecordVersion(engine, input);
    span.setAttributes({ 'vector.version.id': version.id, 'vector.version.number': version.number, 'vector.version.file_count': version.fileCount });
    return version;
  });
}

/** {@link writeVersion}'s work, inside its span. */
async function saveAndRecordVersion(engine: EngineContext, input: WriteVersionInput): Promise<CodeVersion> {
  const { project } = input;
  if (project.current_version_id !== input.parentVersionId) throw conflict(project, input.parentVersionId, project.current_version_id);
  if (project.storage_conflict && !input.settlesStorageConflict) {
    throw new ConflictError({
      message: `Project ${project.id}'s storage branch was changed outside Vector in a way its versions do not contain; settle it first (projects.resolveStorageConflict: adopt the outside head, or keep Vector's)`,
      details: { projectId: project.id, reason: 'STORAGE_DIVERGED', storageConflict: JSON.parse(project.storage_conflict) as unknown },
    });
  }

  let parentRef: string | null = null;
  if (input.parentVersionId !== null) {
    const parent = await engine.db
      .selectFrom('vector_code_versions')
      .select('storage_ref')
      .where('id', '=', input.parentVersionId)
      .where('project_id', '=', project.id)
      .executeTakeFirst();
    // Stryker disable next-line StringLiteral: not reached through the engine: the parent is the project's current version (checked above), and versions are never deleted
    if (!parent) throw new NotFoundError({ entity: 'version', id: input.parentVersionId });
    parentRef = parent.storage_ref;
  }

  const backend = storageFor(engine, project);
  const storageProject = toStorageProject(project);
  const saved = input.existingRef
    ? { ref: input.existingRef, fileCount: undefined }
    : await withSpan(engine.telemetry, 'vector.storage.saveVersion', { attributes: { 'vector.storage.backend': backend.name, 'vector.project.id': project.id, 'vector.storage.change_count': input.changes.length } }, () =>
        backend.saveVersion({
          project: storageProject,
          parentRef,
          changes: input.changes,
          message: input.message,
          author: { name: `${input.actor.type}:${input.actor.id}`, email: `${input.actor.type}.${input.actor.id.replace(/[^a-zA-Z0-9._-]/g, '_')}@users.vector.invalid` },
        }),
      );
  const ref = saved.ref;
  const fileCount = saved.fileCount ?? (await backend.listFiles({ project: storageProject, ref })).length;

  const version = await engine.transaction(async (trx, afterCommit) => {
    const versionId = engine.newId();
    const now = engine.nowIso();
    const advanced = await trx
      .updateTable('vector_projects')
      .set((eb) => ({ version_counter: eb('version_counter', '+', 1), current_version_id: versionId, updated_at: now }))
      .where('id', '=', project.id)
      .where('organization_id', '=', project.organization_id)
      // Null-safe: the first version's parent is null. PostgreSQL and SQLite (3.39+) both have it.
      .where('current_version_id', 'is not distinct from', input.parentVersionId)
      .returning(['version_counter'])
      .executeTakeFirst();
    if (!advanced) {
      const current = await trx.selectFrom('vector_projects').select('current_version_id').where('id', '=', project.id).executeTakeFirst();
      if (!current) throw new NotFoundError({ entity: 'project', id: project.id });
      throw conflict(project, input.parentVersionId, current.current_version_id);
    }
    const row = {
      id: versionId,
      project_id: project.id,
      organization_id: project.organization_id,
      number: Number(advanced.version_counter),
      parent_id: input.parentVersionId,
      storage_ref: ref,
      message: input.message,
      source: input.source,
      restored_from_id: input.restoredFromId ?? null,
      job_id: input.jobId ?? null,
      validation_status: input.validationStatus ?? 'not_run',
      validation_check: input.validationCheck ?? null,
      generation_status: input.generationStatus ?? 'not_applicable',
      file_count: fileCount,
      created_by: `${input.actor.type}:${input.actor.id}`,
      author: input.author ? JSON.stringify(input.author) : null,
      created_at: now,
    };
    await trx.insertInto('vector_code_versions').values(row).execute();
    const version = toCodeVersion(row);
    await writeAudit(engine, trx, afterCommit, {
      organizationId: project.organization_id,
      projectId: project.id,
      actor: input.actor,
      action: input.source === 'rollback' ? 'version.rollback' : 'version.create',
      entityType: 'version',
      entityId: versionId,
      beforeId: input.parentVersionId,
      afterId: versionId,
      data: { number: version.number, source: input.source, ...(input.restoredFromId ? { restoredFromId: input.restoredFromId } : {}), ...(input.author ? { author: input.author, ref } : {}) },
    });
    await input.alsoInTransaction?.(trx, afterCommit, version);
    afterCommit(() => engine.events.emit('version.created', { organizationId: project.organization_id, projectId: project.id, version }));
    return version;
  });
  if (backend.finalizeVersion) {
    try {
      await backend.finalizeVersion({ project: storageProject, ref, parentRef });
    } catch (error) {
      // The version is recorded and readable by ref; only the backend's public head lags.
      engine.events.emit('warning', {
        organizationId: project.organization_id,
        projectId: project.id,
        code: 'STORAGE_FINALIZE_FAILED',
        message: `Version ${version.number} is saved, but ${backend.name} could not publish it: ${errorMessage(error)}`,
      });
    }
  }
  return version;
}

/**
 * Marks a version as the project's published one, in the caller's transaction (with its
 * audit row). The caller has checked that the version belongs to the project.
 */
export async function publishVersion(trx: Transaction<CoreDatabase>, input: { projectId: string; versionId: string; now: string }): Promise<void> {
  await trx.updateTable('vector_projects').set({ published_version_id: input.versionId, updated_at: input.now }).where('id', '=', input.projectId).execute();
}
