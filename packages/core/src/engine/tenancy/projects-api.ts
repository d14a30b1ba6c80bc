import { parseInput } from '../../errors/from-zod.js';
import { NotFoundError } from '../../errors/not-found-error.js';
import { ValidationError } from '../../errors/validation-error.js';
import { createProjectInputSchema, importProjectInputSchema, resolveStorageConflictInputSchema, updateProjectInputSchema } from '../../schemas/inputs.js';
import { resolveStorageConflict, syncProjectFromStorage } from '../versions/storage-sync.js';
import { writeVersion } from '../versions/version-store.js';
import { writeAudit } from '../audit/audit-writer.js';
import { toJson } from '../store/json-column.js';
import { afterCreatedCursor, readPage, toPage } from '../store/pagination.js';
import { toProject } from '../store/row-mappers.js';
import type { DeploymentDriver } from '../deployments/deployment-driver.js';
import { teardownDeployments } from '../deployments/teardown-deployments.js';
import { loadProject, type ScopeContext, storageFor, toStorageProject } from '../scope-context.js';
import type { ProjectsApi } from '../vector-types.js';

/** Projects of one organization. */
export function createProjectsApi(scope: ScopeContext, driver: DeploymentDriver): ProjectsApi {
  const { engine, organizationId, actor } = scope;
  const { db } = engine;

  const projects: ProjectsApi = {
    async create(input) {
      const parsed = parseInput(createProjectInputSchema, input, 'project');
      const storageName = parsed.storageBackend ?? engine.defaultStorage;
      const backend = engine.storage.get(storageName);
      if (!backend) {
        throw new ValidationError({
          message: `Unknown storage backend ${storageName}; registered: ${[...engine.storage.keys()].join(', ')}`,
          issues: [{ path: ['storageBackend'], message: 'not registered' }],
        });
      }
      const organization = await db.selectFrom('vector_organizations').select('id').where('id', '=', organizationId).executeTakeFirst();
      if (!organization) throw new NotFoundError({ entity: 'organization', id: organizationId });
      const now = engine.nowIso();
      const row = {
        id: engine.newId(),
        organization_id: organizationId,
        name: parsed.name,
        description: parsed.description,
        storage_backend: storageName,
        settings: toJson(parsed.settings),
        current_version_id: null,
        published_version_id: null,
        version_counter: 0,
        data_revision: 0,
        storage_conflict: null,
        created_at: now,
        updated_at: now,
      };
      // Storage is prepared first (idempotent) so a project row never points at storage
      // that could not be set up.
      await backend.createProject?.({ project: toStorageProject(row) });
      return engine.transaction(async (trx, afterCommit) => {
        await trx.insertInto('vector_projects').values(row).execute();
        await writeAudit(engine, trx, afterCommit, { organizationId, projectId: row.id, actor, action: 'project.create', entityType: 'project', entityId: row.id, afterId: row.id, data: { name: row.name, storageBackend: storageName } });
        const project = toProject(row);
        afterCommit(() => engine.events.emit('project.updated', { organizationId, projectId: row.id, project }));
        return project;
      });
    },
    async list(page) {
      const { limit, cursor } = readPage(page);
      let query = db.selectFrom('vector_projects').selectAll().where('organization_id', '=', organizationId).orderBy('created_at').orderBy('id').limit(limit + 1);
      if (cursor) query = query.where(afterCreatedCursor(cursor, 'asc'));
      return toPage(await query.execute(), limit, toProject, (row) => ({ key: row.created_at, id: row.id }));
    },
    async get(projectId) {
      return toProject(await loadProject(scope, projectId));
    },
    async update(projectId, patch) {
      const parsed = parseInput(updateProjectInputSchema, patch, 'project update');
      const row = await loadProject(scope, projectId);
      const next = {
        name: parsed.name ?? row.name,
        description: parsed.description ?? row.description,
        settings: parsed.settings === undefined ? row.settings : toJson(parsed.settings),
        updated_at: engine.nowIso(),
      };
      return engine.transaction(async (trx, afterCommit) => {
        await trx.updateTable('vector_projects').set(next).where('id', '=', row.id).where('organization_id', '=', organizationId).execute();
        await writeAudit(engine, trx, afterCommit, { organizationId, projectId: row.id, actor, action: 'project.update', entityType: 'project', entityId: row.id, data: { fields: Object.keys(parsed) } });
        const project = toProject({ ...row, ...next });
        afterCommit(() => engine.events.emit('project.updated', { organizationId, projectId: row.id, project }));
        return project;
      });
    },
    async delete(projectId) {
      const row = await loadProject(scope, projectId);
      // Tear down what runs elsewhere before the rows that track it disappear.
      await teardownDeployments({ engine, driver, projectIds: [row.id], actor });
      await engine.transaction(async (trx, afterCommit) => {
        await trx.deleteFrom('vector_projects').where('id', '=', row.id).where('organization_id', '=', organizationId).execute();
        await writeAudit(engine, trx, afterCommit, { organizationId, projectId: row.id, actor, action: 'project.delete', entityType: 'project', entityId: row.id, beforeId: row.id });
      });
      await storageFor(engine, row).deleteProject?.({ project: toStorageProject(row) });
    },
    async syncStorage(projectId) {
      const row = await loadProject(scope, projectId);
      const result = await syncProjectFromStorage(engine, { project: row, actor });
      return { ...result, project: toProject(await loadProject(scope, projectId)) };
    },
    async resolveStorageConflict(input) {
      const parsed = parseInput(resolveStorageConflictInputSchema, input, 'storage conflict resolution');
      return resolveStorageConflict(engine, { project: await loadProject(scope, parsed.projectId), actor, keep: parsed.keep });
    },
    async importRepository(input) {
      const parsed = parseInput(importProjectInputSchema, input, 'repository import');
      const backend = engine.storage.get(parsed.storageBackend ?? engine.defaultStorage);
      if (!backend?.capabilities.importRepository || !backend.importRepository) {
        throw new ValidationError({ message: `Storage backend ${parsed.storageBackend ?? engine.defaultStorage} cannot import repositories`, issues: [{ path: ['storageBackend'], message: 'no importRepository capability' }] });
      }
      const { source, ...fields } = parsed;
      const project = await projects.create(fields);
      try {
        const row = await loadProject(scope, project.id);
        const message = `Import ${source.owner}/${source.repository}${source.ref ? `@${source.ref}` : ''}`;
        const { ref } = await backend.importRepository({ project: toStorageProject(row), owner: source.owner, repository: source.repository, ...(source.ref ? { ref: source.ref } : {}), message });
        const version = await writeVersion(engine, { project: row, actor, parentVersionId: null, changes: [], existingRef: ref, message, source: 'import' });
        return { project: toProject(await loadProject(scope, project.id)), version };
      } catch (error) {
        // No half-imported project is left behind.
        await projects.delete(project.id).catch(() => undefined);
        throw error;
      }
    },
  };
  return projects;
}
