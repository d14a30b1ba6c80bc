import { z } from 'zod';
import { parseInput } from '../../errors/from-zod.js';
import { NotFoundError } from '../../errors/not-found-error.js';
import { ValidationError } from '../../errors/validation-error.js';
import { ConflictError } from '../../errors/conflict-error.js';
import { normalizeFilePath } from '../../files/path-rules.js';
import type { ValidationCheck, ValidationStatus } from '../../schemas/code-version.js';
import { idSchema } from '../../schemas/common.js';
import { createVersionInputSchema, publishVersionInputSchema, rollbackVersionInputSchema } from '../../schemas/inputs.js';
import type { FileChange } from '../../schemas/source-file.js';
import { writeAudit } from '../audit/audit-writer.js';
import { snapshotToChanges, toFileChanges } from './file-input.js';
import { checkVersionChanges, type ParentFiles } from './check-version-changes.js';
import { readPage, toPage } from '../store/pagination.js';
import { toCodeVersion, toProject } from '../store/row-mappers.js';
import { loadProject, type ScopeContext, storageFor, toStorageProject } from '../scope-context.js';
import type { DeploymentsApi, VersionsApi } from '../vector-types.js';
import { freezeListing } from './file-listing-cache.js';
import { publishVersion, writeVersion } from './version-store.js';
import { migrateProjectData, readVersionDataSchema } from '../data/data-migrations.js';
import { findDataCheckpoint, recordDataCheckpoint, restoreDataCheckpoint } from '../data/data-history.js';

/** Code versions of one organization's projects. */
export function createVersionsApi(scope: ScopeContext, deployments: () => DeploymentsApi): VersionsApi {
  const { engine, organizationId, actor } = scope;
  const { db } = engine;

  async function loadVersion(versionId: string) {
    const id = parseInput(idSchema, versionId, 'version id');
    const row = await db.selectFrom('vector_code_versions').selectAll().where('id', '=', id).where('organization_id', '=', organizationId).executeTakeFirst();
    if (!row) throw new NotFoundError({ entity: 'version', id });
    const project = await loadProject(scope, row.project_id);
    return { row, project, backend: storageFor(engine, project), storageProject: toStorageProject(project) };
  }

  return {
    async create(input) {
      const parsed = parseInput(createVersionInputSchema, input, 'version');
      const project = await loadProject(scope, parsed.projectId);
      const parentId = parsed.parentVersionId;
      // A stale parent is refused by writeVersion as a conflict before anything is saved, so
      // only a current parent is read and checked against.
      const isCurrent = parentId === project.current_version_id;
      const parent: ParentFiles =
        parentId !== null && isCurrent ? { entries: await this.listFiles(parentId), read: (paths) => this.getFiles(parentId, paths) } : { entries: [], read: async () => [] };
      const field = parsed.changes ? 'changes' : 'files';
      const changes = parsed.changes ? toFileChanges(parsed.changes) : snapshotToChanges(parsed.files ?? [], parent.entries.map((entry) => entry.path));
      if (isCurrent) await checkVersionChanges({ changes, field, parent, first: parentId === null });
      return writeVersion(engine, { project, actor, parentVersionId: parentId, changes, message: parsed.message, source: parsed.source });
    },

    async list(projectId, page) {
      const project = await loadProject(scope, projectId);
      const { limit, cursor } = readPage(page, 'number');
      let query = db.selectFrom('vector_code_versions').selectAll().where('project_id', '=', project.id).orderBy('number', 'desc').limit(limit + 1);
      if (cursor) query = query.where('number', '<', Number(cursor.key));
      return toPage(await query.execute(), limit, toCodeVersion, (row) => ({ key: Number(row.number), id: row.id }));
    },

    async get(versionId) {
      return toCodeVersion((await loadVersion(versionId)).row);
    },

    async listFiles(versionId) {
      // Versions are immutable, so a listing read once is served from memory; the caller's right
      // to see the version is checked on every call, with one narrow query.
      const id = parseInput(idSchema, versionId, 'version id');
      const cached = engine.fileListings.get(id);
      if (cached) {
        const visible = await db.selectFrom('vector_code_versions').select('id').where('id', '=', id).where('organization_id', '=', organizationId).executeTakeFirst();
        if (!visible) throw new NotFoundError({ entity: 'version', id });
        return cached.map((entry) => ({ ...entry }));
      }
      const { row, backend, storageProject } = await loadVersion(id);
      return engine.fileListings.keep(id, freezeListing(await backend.listFiles({ project: storageProject, ref: row.storage_ref }))).map((entry) => ({ ...entry }));
    },

    async getFiles(versionId, paths) {
      const { row, backend, storageProject } = await loadVersion(versionId);
      const wanted = paths === undefined ? undefined : parseInput(z.array(z.string()).max(100_000), paths, 'paths').map(normalizeFilePath);
      return backend.getFiles({ project: storageProject, ref: row.storage_ref, ...(wanted ? { paths: wanted } : {}) });
    },

    async getFile(versionId, path) {
      const { row, backend, storageProject } = await loadVersion(versionId);
      const normalized = normalizeFilePath(parseInput(z.string(), path, 'path'));
      const file = await backend.getFile({ project: storageProject, ref: row.storage_ref, path: normalized });
      if (!file) throw new NotFoundError({ entity: 'file', id: normalized });
      return file;
    },

    async diff(input) {
      const parsed = parseInput(z.object({ fromVersionId: idSchema.nullable(), toVersionId: idSchema }), input, 'diff');
      const to = await loadVersion(parsed.toVersionId);
      let fromRef: string | null = null;
      if (parsed.fromVersionId !== null) {
        const from = await loadVersion(parsed.fromVersionId);
        if (from.row.project_id !== to.row.project_id) {
          throw new ValidationError({ message: 'Both versions of a diff must belong to the same project', issues: [{ path: ['fromVersionId'], message: 'other project' }] });
        }
        fromRef = from.row.storage_ref;
      }
      return to.backend.diffVersions({ project: to.storageProject, fromRef, toRef: to.row.storage_ref });
    },

    async rollback(input) {
      const parsed = parseInput(rollbackVersionInputSchema, input, 'rollback');
      const project = await loadProject(scope, parsed.projectId);
      const target = await loadVersion(parsed.targetVersionId);
      if (target.row.project_id !== project.id) throw new NotFoundError({ entity: 'version', id: parsed.targetVersionId });
      const current = project.current_version_id;
      if (parsed.expectedCurrentVersionId !== undefined && parsed.expectedCurrentVersionId !== current) {
        throw new ConflictError({
          message: `Project ${project.id} has moved on: expected current version ${parsed.expectedCurrentVersionId}, found ${current}`,
          details: { projectId: project.id, expectedCurrentVersionId: parsed.expectedCurrentVersionId, currentVersionId: current },
        });
      }
      // The data as the target was (last) published: its checkpoint, found before anything is written.
      const checkpoint = parsed.includeData ? await findDataCheckpoint(db, project.id, target.row.id) : undefined;
      if (parsed.includeData && !checkpoint) {
        throw new ValidationError({
          message: `Version ${Number(target.row.number)} was never published, so there is no data state to roll back to; roll back the code alone (includeData: false) or pick a published version`,
          issues: [{ path: ['includeData'], message: 'the target version was never published' }],
        });
      }
      const { backend, storageProject } = target;
      const targetEntries = await backend.listFiles({ project: storageProject, ref: target.row.storage_ref });
      const currentEntries = current === null ? [] : await this.listFiles(current);
      const currentByPath = new Map(currentEntries.map((entry) => [entry.path, entry.hash]));
      // Only differing files are read and rewritten: a rollback of a large project stays O(changes).
      const changedPaths = targetEntries.filter((entry) => currentByPath.get(entry.path) !== entry.hash).map((entry) => entry.path);
      const contents = changedPaths.length === 0 ? [] : await backend.getFiles({ project: storageProject, ref: target.row.storage_ref, paths: changedPaths });
      const targetPaths = new Set(targetEntries.map((entry) => entry.path));
      const changes: FileChange[] = [
        ...contents.map((file): FileChange => ({ type: 'write', path: file.path, content: file.content })),
        ...currentEntries.filter((entry) => !targetPaths.has(entry.path)).map((entry): FileChange => ({ type: 'delete', path: entry.path })),
      ];
      return writeVersion(engine, {
        project,
        actor,
        parentVersionId: current,
        changes,
        message: parsed.message ?? `Roll back to version ${Number(target.row.number)}`,
        source: 'rollback',
        restoredFromId: target.row.id,
        // The same files as the target, so the target's check result holds for them; a rollback
        // is not agent output, so its generation status is `not_applicable`.
        validationStatus: target.row.validation_status as ValidationStatus,
        validationCheck: target.row.validation_check as ValidationCheck | null,
        // With data: the project's data goes back to the target's checkpoint and the new version is
        // published with it, all in the version's transaction (code and data move together).
        ...(checkpoint
          ? {
              alsoInTransaction: async (trx, afterCommit, version) => {
                await restoreDataCheckpoint(engine, trx, afterCommit, { project, checkpoint, actor });
                const now = engine.nowIso();
                await publishVersion(trx, { projectId: project.id, versionId: version.id, now });
                await recordDataCheckpoint(engine, trx, project, version.id);
                await writeAudit(engine, trx, afterCommit, { organizationId, projectId: project.id, actor, action: 'version.publish', entityType: 'project', entityId: project.id, beforeId: project.published_version_id, afterId: version.id });
              },
            }
          : {}),
      });
    },

    async publish(input) {
      const parsed = parseInput(publishVersionInputSchema, input, 'publish');
      const project = await loadProject(scope, parsed.projectId);
      const version = await loadVersion(parsed.versionId);
      if (version.row.project_id !== project.id) throw new NotFoundError({ entity: 'version', id: parsed.versionId });
      // The version's data schema, checked before anything changes.
      const dataSchema = await readVersionDataSchema(engine, project, version.row.storage_ref);
      const updated = await engine.transaction(async (trx, afterCommit) => {
        const now = engine.nowIso();
        // Production data moves to the version's schema with the publish, or neither happens.
        if (dataSchema) await migrateProjectData(engine, trx, afterCommit, { project, versionId: version.row.id, schema: dataSchema, actor, allowDestructive: parsed.allowDestructiveDataChanges });
        // The data as published with this version: what a rollback with data comes back to.
        await recordDataCheckpoint(engine, trx, project, version.row.id);
        await publishVersion(trx, { projectId: project.id, versionId: version.row.id, now });
        await writeAudit(engine, trx, afterCommit, {
          organizationId,
          projectId: project.id,
          actor,
          action: 'version.publish',
          entityType: 'project',
          entityId: project.id,
          beforeId: project.published_version_id,
          afterId: version.row.id,
        });
        const next = toProject({ ...project, published_version_id: version.row.id, updated_at: now });
        afterCommit(() => engine.events.emit('project.updated', { organizationId, projectId: project.id, project: next }));
        return next;
      });
      const deployment = parsed.deploy
        ? await deployments().create({
            projectId: project.id,
            versionId: version.row.id,
            environment: 'production',
            ...(parsed.deploy.provider ? { provider: parsed.deploy.provider } : {}),
            ...(parsed.deploy.env ? { env: parsed.deploy.env } : {}),
            ...(parsed.deploy.secrets ? { secrets: parsed.deploy.secrets } : {}),
            allowDestructiveDataChanges: parsed.allowDestructiveDataChanges,
          })
        : null;
      return { project: updated, deployment };
    },
  };
}
