import { expect, it } from 'vitest';
import { describeEachDatabase } from '../../testing/test-databases.js';
import { sampleFiles, useEngine } from '../../testing/engine-fixture.js';
import { createMemoryStorage } from '../../reference/index.js';
import type { ImportRepositoryInput, StorageBackend, StorageProjectInput } from '../../plugins/storage-backend.js';
import type { Actor } from '../../schemas/common.js';
import type { VectorEvents } from '../vector-events.js';

/**
 * A memory backend named `importing` that can import repositories (as one commit of
 * `sampleFiles`) and records what it is told about the projects it stores.
 */
function createImportingStorage() {
  const base = createMemoryStorage({ name: 'importing' });
  const calls = { created: [] as StorageProjectInput[], deleted: [] as StorageProjectInput[], imported: [] as ImportRepositoryInput[] };
  const backend: StorageBackend = {
    ...base,
    capabilities: { ...base.capabilities, importRepository: true },
    createProject: async (input) => {
      calls.created.push(input);
      await base.createProject?.(input);
    },
    deleteProject: async (input) => {
      calls.deleted.push(input);
      await base.deleteProject?.(input);
    },
    importRepository: async (input) => {
      calls.imported.push(input);
      const changes = sampleFiles(input.repository).map((file) => ({ type: 'write' as const, path: file.path, content: new TextEncoder().encode(file.content) }));
      return base.saveVersion({ project: input.project, parentRef: null, changes, message: input.message ?? '', author: { name: 'importer', email: 'importer@example.com' } });
    },
  };
  return { backend, calls };
}

const intruder = { type: 'robot', id: 'r2' } as unknown as Actor;

describeEachDatabase('organizations and projects', (database) => {
  let importing = createImportingStorage();
  const engine = useEngine(database, {
    storage: () => {
      importing = createImportingStorage();
      return [createMemoryStorage(), importing.backend];
    },
  });

  function collect<Name extends keyof VectorEvents>(name: Name): Array<VectorEvents[Name]> {
    const seen: Array<VectorEvents[Name]> = [];
    engine().vector.events.on(name, (event) => seen.push(event));
    return seen;
  }

  // -------------------------------------------------------------------------------------------
  // Organizations

  it('derives a slug from the name: lower-case, one dash per run of other characters, trimmed, then the first 6 characters of the id', async () => {
    const { vector, actor } = engine();
    const cases: Array<[string, string]> = [
      ['Hello, World!!', 'hello-world'],
      ['  --Acme  Corp-- ', 'acme-corp'],
      ['ÄÖ Ünïcode & Co.', 'n-code-co'],
      ['a-b', 'a-b'],
    ];
    for (const [name, base] of cases) {
      const organization = await vector.organizations.create({ name }, actor);
      expect(organization.slug, name).toBe(`${base}-${organization.id.slice(-6)}`);
    }
  });

  it('gives organizations of one name, made one after the other, different slugs', async () => {
    const { vector, actor } = engine();
    const first = await vector.organizations.create({ name: 'Acme' }, actor);
    const second = await vector.organizations.create({ name: 'Acme' }, { type: 'user', id: 'someone-else' });
    expect(second.slug).not.toBe(first.slug);
    expect([first.slug, second.slug]).toEqual([expect.stringMatching(/^acme-[0-9a-f]{6}$/), expect.stringMatching(/^acme-[0-9a-f]{6}$/)]);
  });

  it("falls back to 'org' when nothing of the name is usable in a slug", async () => {
    const { vector, actor } = engine();
    const organization = await vector.organizations.create({ name: '!!! ???' }, actor);
    expect(organization.slug).toBe(`org-${organization.id.slice(-6)}`);
  });

  it('keeps at most 48 characters of the name in a derived slug', async () => {
    const { vector, actor } = engine();
    const organization = await vector.organizations.create({ name: 'x'.repeat(60) }, actor);
    expect(organization.slug).toBe(`${'x'.repeat(48)}-${organization.id.slice(-6)}`);
    expect(organization.id.length).toBeGreaterThan(6);
  });

  it('refuses a slug that is taken with a conflict naming the slug', async () => {
    const { vector, actor } = engine();
    const first = await vector.organizations.create({ name: 'First', slug: 'shared-slug' }, actor);
    expect(first.slug).toBe('shared-slug');
    await expect(vector.organizations.create({ name: 'Second', slug: 'shared-slug' }, actor)).rejects.toMatchObject({
      code: 'CONFLICT',
      message: 'The organization slug shared-slug is taken',
      details: { slug: 'shared-slug' },
    });
    expect((await vector.organizations.list({ limit: 100 })).items.filter((organization) => organization.slug === 'shared-slug')).toHaveLength(1);
  });

  it('audits the creation of an organization as the creating actor', async () => {
    const { vector, actor } = engine();
    const organization = await vector.organizations.create({ name: 'Audited', monthlyBudgetUsd: 50 }, actor);
    expect(organization).toMatchObject({ name: 'Audited', monthlyBudgetUsd: 50 });
    const scope = vector.scope({ organizationId: organization.id, actor });
    const entries = (await scope.audit.list({ action: 'organization.create' })).items;
    expect(entries).toEqual([
      expect.objectContaining({ organizationId: organization.id, projectId: null, actor, action: 'organization.create', entityType: 'organization', entityId: organization.id, beforeId: null, afterId: organization.id }),
    ]);
  });

  it('refuses malformed organization input and actors with validation errors that name what was invalid', async () => {
    const { vector, actor, organizationId } = engine();
    await expect(vector.organizations.create({ name: ' ' }, actor)).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/^Invalid organization at name: /), details: { issues: [expect.objectContaining({ path: ['name'] })] } });
    await expect(vector.organizations.create({ name: 'Robots' }, intruder)).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/^Invalid actor at type: /) });
    await expect(vector.organizations.update(organizationId, { name: 'x' }, intruder)).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/^Invalid actor at type: /) });
    await expect(vector.organizations.delete(organizationId, intruder)).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/^Invalid actor at type: /) });
    await expect(vector.organizations.update(organizationId, { slug: 'new' } as never, actor)).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/^Invalid organization update: /) });
    await expect(vector.organizations.update(organizationId, { name: '' }, actor)).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/^Invalid organization update at name: /) });
    await expect(vector.organizations.get('')).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/^Invalid organization id: /) });
    await expect(vector.organizations.getBySlug('')).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/^Invalid organization slug: /) });
    await expect(vector.organizations.getBySlug('s'.repeat(64))).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/^Invalid organization slug: /) });
    // Nothing was renamed by the refused calls.
    expect((await vector.organizations.get(organizationId)).name).toBe('Acme');
  });

  it('finds organizations by id and by slug, and reports missing ones as a not-found organization', async () => {
    const { vector, actor } = engine();
    const organization = await vector.organizations.create({ name: 'Findable', slug: 'findable' }, actor);
    expect(await vector.organizations.get(organization.id)).toEqual(organization);
    expect(await vector.organizations.getBySlug('findable')).toEqual(organization);
    const longSlug = `l${'o'.repeat(61)}g`;
    const long = await vector.organizations.create({ name: 'Long', slug: longSlug }, actor);
    expect((await vector.organizations.getBySlug(longSlug)).id).toBe(long.id);
    await expect(vector.organizations.get('no-such-organization')).rejects.toMatchObject({ code: 'NOT_FOUND', entity: 'organization', details: { entity: 'organization', id: 'no-such-organization' } });
    await expect(vector.organizations.getBySlug('no-such-slug')).rejects.toMatchObject({ code: 'NOT_FOUND', entity: 'organization', details: { entity: 'organization', id: 'no-such-slug' } });
  });

  it('pages organizations, offering a next page only when one more exists', async () => {
    const { vector, actor } = engine();
    // The fixture made two organizations; two more make four.
    await vector.organizations.create({ name: 'Third' }, actor);
    await vector.organizations.create({ name: 'Fourth' }, actor);
    const first = await vector.organizations.list({ limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).not.toBeNull();
    const second = await vector.organizations.list({ limit: 2, cursor: first.nextCursor });
    expect(second.items).toHaveLength(2);
    expect(second.nextCursor).toBeNull();
    expect([...first.items, ...second.items].map((organization) => organization.name).sort()).toEqual(['Acme', 'Fourth', 'Other', 'Third']);
    const all = await vector.organizations.list({ limit: 4 });
    expect(all.items).toHaveLength(4);
    expect(all.nextCursor).toBeNull();
  });

  it('updates only the fields a patch names, stores them and audits the patch', async () => {
    const { vector, actor, organizationId } = engine();
    const budgeted = await vector.organizations.update(organizationId, { monthlyBudgetUsd: 250 }, actor);
    expect(budgeted).toMatchObject({ id: organizationId, name: 'Acme', monthlyBudgetUsd: 250 });
    const renamed = await vector.organizations.update(organizationId, { name: 'Acme Renamed' }, actor);
    expect(renamed).toMatchObject({ id: organizationId, name: 'Acme Renamed', monthlyBudgetUsd: 250 });
    expect(await vector.organizations.get(organizationId)).toMatchObject({ name: 'Acme Renamed', monthlyBudgetUsd: 250 });
    const both = await vector.organizations.update(organizationId, { name: 'Acme Again', monthlyBudgetUsd: null }, actor);
    expect(both).toMatchObject({ name: 'Acme Again', monthlyBudgetUsd: null });
    expect(await vector.organizations.get(organizationId)).toEqual(both);
    const scope = vector.scope({ organizationId, actor });
    const entries = (await scope.audit.list({ action: 'organization.update' }, { limit: 10 })).items;
    expect(entries).toHaveLength(3);
    for (const entry of entries) expect(entry).toMatchObject({ organizationId, projectId: null, actor, action: 'organization.update', entityType: 'organization', entityId: organizationId });
    expect(entries.map((entry) => entry.data)).toEqual(expect.arrayContaining([{ monthlyBudgetUsd: 250 }, { name: 'Acme Renamed' }, { name: 'Acme Again', monthlyBudgetUsd: null }]));
  });

  it('deletes an organization with its projects, releases their storage and warns who deleted it', async () => {
    const { vector, scope, organizationId, actor } = engine();
    const warnings = collect('warning');
    const kept = await scope.projects.create({ name: 'Kept', storageBackend: 'importing' });
    const other = await engine().otherScope.projects.create({ name: 'Elsewhere', storageBackend: 'importing' });
    await vector.organizations.delete(organizationId, actor);
    await expect(vector.organizations.get(organizationId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(scope.projects.get(kept.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(importing.calls.deleted.map((call) => call.project.id)).toEqual([kept.id]);
    expect(await engine().otherScope.projects.get(other.id)).toMatchObject({ name: 'Elsewhere' });
    expect(warnings).toEqual([{ organizationId, code: 'ORGANIZATION_DELETED', message: `organization ${organizationId} deleted by user:user-1` }]);
  });

  // -------------------------------------------------------------------------------------------
  // Projects

  it('refuses malformed project input with validation errors that name what was invalid', async () => {
    const { scope } = engine();
    const project = await scope.projects.create({ name: 'Valid' });
    await expect(scope.projects.create({ name: ' ' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/^Invalid project at name: /) });
    await expect(scope.projects.update(project.id, { storageBackend: 'x' } as never)).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/^Invalid project update: /) });
    await expect(scope.projects.get('')).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/^Invalid project id: /) });
    await expect(scope.projects.resolveStorageConflict({ projectId: project.id, keep: 'neither' } as never)).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/^Invalid storage conflict resolution at keep: /) });
    await expect(scope.projects.importRepository({ name: 'No source' } as never)).rejects.toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringMatching(/^Invalid repository import at source: /) });
  });

  it('reports a missing project as a not-found project', async () => {
    const { scope } = engine();
    await expect(scope.projects.get('no-such-project')).rejects.toMatchObject({ code: 'NOT_FOUND', entity: 'project', details: { entity: 'project', id: 'no-such-project' } });
  });

  it('refuses an unregistered storage backend, listing the registered ones', async () => {
    const { scope } = engine();
    await expect(scope.projects.create({ name: 'Nowhere', storageBackend: 'github' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: 'Unknown storage backend github; registered: memory, importing',
      details: { issues: [{ path: ['storageBackend'], message: 'not registered' }] },
    });
    expect((await scope.projects.list()).items).toEqual([]);
  });

  it('refuses to create a project in an organization that does not exist', async () => {
    const { vector, actor } = engine();
    const ghost = vector.scope({ organizationId: 'no-such-organization', actor });
    await expect(ghost.projects.create({ name: 'Orphan', storageBackend: 'importing' })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      entity: 'organization',
      details: { entity: 'organization', id: 'no-such-organization' },
    });
    expect(importing.calls.created).toEqual([]);
  });

  it("gives storage backends the project's settings.storage object, and an empty object for anything else", async () => {
    const { scope, organizationId } = engine();
    const cases: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
      ['object', { storage: { owner: 'acme', repository: 'site' }, theme: 'dark' }, { owner: 'acme', repository: 'site' }],
      ['null', { storage: null }, {}],
      ['string', { storage: 'acme/site' }, {}],
      ['absent', { theme: 'dark' }, {}],
    ];
    for (const [name, settings] of cases) await scope.projects.create({ name, settings, storageBackend: 'importing' });
    expect(importing.calls.created.map((call) => [call.project.name, call.project.settings])).toEqual(cases.map(([name, , storage]) => [name, storage]));
    expect(importing.calls.created[0]?.project).toEqual({ id: expect.any(String), organizationId, name: 'object', settings: { owner: 'acme', repository: 'site' } });
  });

  it('audits and announces the creation of a project', async () => {
    const { scope, organizationId, actor } = engine();
    const updates = collect('project.updated');
    const project = await scope.projects.create({ name: 'Announced', storageBackend: 'importing' });
    expect(updates).toEqual([{ organizationId, projectId: project.id, project }]);
    expect((await scope.audit.list({ action: 'project.create' })).items).toEqual([
      expect.objectContaining({ organizationId, projectId: project.id, actor, action: 'project.create', entityType: 'project', entityId: project.id, afterId: project.id, data: { name: 'Announced', storageBackend: 'importing' } }),
    ]);
  });

  it('updates a project keeping the settings a patch leaves out, and audits and announces the changed fields', async () => {
    const { scope, organizationId, actor } = engine();
    const project = await scope.projects.create({ name: 'Before', description: 'kept', settings: { theme: 'dark' } });
    const updates = collect('project.updated');
    const updated = await scope.projects.update(project.id, { name: 'After' });
    expect(updated).toMatchObject({ id: project.id, name: 'After', description: 'kept', settings: { theme: 'dark' } });
    expect(await scope.projects.get(project.id)).toMatchObject({ name: 'After', description: 'kept', settings: { theme: 'dark' } });
    expect(updates).toEqual([{ organizationId, projectId: project.id, project: updated }]);
    expect((await scope.audit.list({ action: 'project.update' })).items).toEqual([
      expect.objectContaining({ organizationId, projectId: project.id, actor, action: 'project.update', entityType: 'project', entityId: project.id, data: { fields: ['name'] } }),
    ]);
  });

  it('tears down live deployments, audits the deletion and releases the storage when a project is deleted', async () => {
    const { scope, organizationId, actor, vector } = engine();
    const project = await scope.projects.create({ name: 'Deployed', storageBackend: 'importing' });
    await scope.versions.create({ projectId: project.id, parentVersionId: null, files: sampleFiles(), message: 'v1' });
    const created = await scope.deployments.create({ projectId: project.id, environment: 'preview' });
    const live = await scope.deployments.waitForDeployment(created.id, { timeoutMs: 20_000 });
    expect(live.status).toBe('live');
    const destroyed: string[] = [];
    vector.events.on('deployment.updated', (event) => {
      if (event.deployment.status === 'destroyed') destroyed.push(event.deployment.id);
    });
    await scope.projects.delete(project.id);
    expect([...new Set(destroyed)]).toEqual([created.id]);
    await expect(scope.projects.get(project.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(importing.calls.deleted.map((call) => call.project.id)).toEqual([project.id]);
    expect((await scope.audit.list({ action: 'project.delete' })).items).toEqual([
      expect.objectContaining({ organizationId, projectId: project.id, actor, action: 'project.delete', entityType: 'project', entityId: project.id, beforeId: project.id }),
    ]);
  });

  it('reports a project whose storage backend is not registered with the engine as an internal error', async () => {
    const { scope, database } = engine();
    const project = await scope.projects.create({ name: 'Stranded' });
    await database.db.updateTable('vector_projects').set({ storage_backend: 'retired' }).where('id', '=', project.id).execute();
    await expect(scope.versions.create({ projectId: project.id, parentVersionId: null, files: sampleFiles(), message: 'v1' })).rejects.toMatchObject({
      code: 'INTERNAL',
      message: `Project ${project.id} uses storage backend retired, which is not registered with this engine`,
    });
  });

  it('refuses to import a repository into a backend that cannot import, naming the backend', async () => {
    const { scope } = engine();
    await expect(scope.projects.importRepository({ name: 'Imported', source: { owner: 'acme', repository: 'site' } })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: 'Storage backend memory cannot import repositories',
      details: { issues: [{ path: ['storageBackend'], message: 'no importRepository capability' }] },
    });
    await expect(scope.projects.importRepository({ name: 'Imported', storageBackend: 'memory', source: { owner: 'acme', repository: 'site' } })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: 'Storage backend memory cannot import repositories',
    });
    expect((await scope.projects.list()).items).toEqual([]);
  });

  it('imports a repository at a ref as a new project whose first version is the import', async () => {
    const { scope } = engine();
    const { project, version } = await scope.projects.importRepository({ name: 'Imported', storageBackend: 'importing', source: { owner: 'acme', repository: 'site', ref: 'v2' } });
    expect(importing.calls.imported).toEqual([{ project: { id: project.id, organizationId: scope.organizationId, name: 'Imported', settings: {} }, owner: 'acme', repository: 'site', ref: 'v2', message: 'Import acme/site@v2' }]);
    expect(version).toMatchObject({ projectId: project.id, message: 'Import acme/site@v2', parentId: null });
    expect(project.currentVersionId).toBe(version.id);
    expect(new TextDecoder().decode((await scope.versions.getFile(version.id, 'src/main.js'))?.content as Uint8Array)).toBe('console.log("site");\n');
  });

  it('imports the default branch when no ref is given', async () => {
    const { scope } = engine();
    const { project, version } = await scope.projects.importRepository({ name: 'Default', storageBackend: 'importing', source: { owner: 'acme', repository: 'app' } });
    expect(importing.calls.imported).toEqual([{ project: expect.objectContaining({ id: project.id }), owner: 'acme', repository: 'app', message: 'Import acme/app' }]);
    expect(version.message).toBe('Import acme/app');
  });
});
