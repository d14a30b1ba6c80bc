import { ConflictError, createVector, decodeText, type Vector, type VectorScope } from '@vector/core';
import { describeEachDatabase } from '@vector/core/testing';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startInOrganization } from '../../../test-support/engine-in-organization.js';
import { fakeStorage, useFakeGitHub } from './storage-fixture.js';
import type { GitHubStorage } from '../src/index.js';

const fake = useFakeGitHub();

describeEachDatabase('engine with GitHub storage', (database) => {
  let vector: Vector;
  let scope: VectorScope;
  let storage: GitHubStorage;
  let stop: () => Promise<void>;
  beforeEach(async () => {
    const connection = await database.create();
    storage = fakeStorage(fake);
    vector = createVector({ database: connection, storage: [storage] });
    ({ scope, stop } = await startInOrganization(vector, connection, { type: 'user', id: 'u1' }));
  });
  afterEach(() => stop());

  it('keeps versions as commits, diffs them, and turns a push into a ConflictError', async () => {
    const project = await scope.projects.create({ name: 'Shop' });
    const repo = fake.repository('acme', `shop-${project.id.toLowerCase()}`);
    expect(repo).toBeDefined();
    const v1 = await scope.versions.create({ projectId: project.id, parentVersionId: null, files: [{ path: 'index.html', content: '<h1>v1</h1>\n' }, { path: 'app.js', content: 'run()\n' }], message: 'first' });
    expect(repo?.refs.get('refs/heads/main')).toBe(v1.storageRef);
    const v2 = await scope.versions.create({ projectId: project.id, parentVersionId: v1.id, changes: [{ type: 'write', path: 'index.html', content: '<h1>v2</h1>\n' }, { type: 'delete', path: 'app.js' }], message: 'second' });
    expect(repo?.objects.commit(v2.storageRef)?.parents).toEqual([v1.storageRef]);
    const diff = await scope.versions.diff({ fromVersionId: v1.id, toVersionId: v2.id });
    expect(diff.map((entry) => [entry.path, entry.status])).toEqual([
      ['app.js', 'deleted'],
      ['index.html', 'modified'],
    ]);
    expect(decodeText((await scope.versions.getFile(v1.id, 'index.html')).content)).toBe('<h1>v1</h1>\n');

    if (!repo) throw new Error('no repository');
    fake.commitFiles(repo, 'main', { 'hotfix.txt': 'pushed by hand' }, 'hotfix');
    await expect(scope.versions.create({ projectId: project.id, parentVersionId: v2.id, changes: [{ type: 'write', path: 'x.txt', content: 'x' }], message: 'third' })).rejects.toBeInstanceOf(ConflictError);
    expect((await scope.projects.get(project.id)).currentVersionId).toBe(v2.id);

    await scope.projects.delete(project.id);
    expect(fake.repository('acme', `shop-${project.id.toLowerCase()}`)).toBeUndefined();
  });

  it('publishes each recorded version on the branch, and a crash on either side of recording blocks nothing', async () => {
    const project = await scope.projects.create({ name: 'Crashy' });
    const repo = fake.repository('acme', `crashy-${project.id.toLowerCase()}`);
    if (!repo) throw new Error('no repository');
    const branch = () => repo.refs.get('refs/heads/main');
    const warnings: Array<{ code: string; message: string }> = [];
    vector.events.on('warning', (warning) => warnings.push(warning));

    const v1 = await scope.versions.create({ projectId: project.id, parentVersionId: null, files: [{ path: 'app.txt', content: 'v1' }], message: 'v1' });
    // The engine ran finalize: the recorded version is the branch head.
    expect(branch()).toBe(v1.storageRef);

    // Crash before recording: the backend saved a commit the engine never recorded.
    const storageProject = { id: project.id, organizationId: project.organizationId, name: project.name, settings: {} };
    const orphan = await storage.saveVersion({ project: storageProject, parentRef: v1.storageRef, changes: [{ type: 'write', path: 'app.txt', content: new TextEncoder().encode('lost') }], message: 'lost', author: { name: 'x', email: 'x@example.com' } });
    expect(branch()).toBe(v1.storageRef);
    const v2 = await scope.versions.create({ projectId: project.id, parentVersionId: v1.id, changes: [{ type: 'write', path: 'app.txt', content: 'v2' }], message: 'v2' });
    expect(branch()).toBe(v2.storageRef);
    expect(repo.objects.ancestors(v2.storageRef).has(orphan.ref)).toBe(false);

    // Crash (here: GitHub failing) after recording: finalize fails, the version stays recorded.
    fake.injectFailure({ status: 502, count: 10, match: (method) => method === 'PATCH' });
    const v3 = await scope.versions.create({ projectId: project.id, parentVersionId: v2.id, changes: [{ type: 'write', path: 'app.txt', content: 'v3' }], message: 'v3' });
    fake.injections.length = 0;
    expect((await scope.projects.get(project.id)).currentVersionId).toBe(v3.id);
    expect(branch()).toBe(v2.storageRef);
    expect(warnings).toEqual([expect.objectContaining({ code: 'STORAGE_FINALIZE_FAILED' })]);

    // The next save builds on the unpublished v3 and its finalize publishes both.
    const v4 = await scope.versions.create({ projectId: project.id, parentVersionId: v3.id, changes: [{ type: 'write', path: 'app.txt', content: 'v4' }], message: 'v4' });
    expect(branch()).toBe(v4.storageRef);
    expect(repo.objects.commit(v4.storageRef)?.parents).toEqual([v3.storageRef]);
    expect(warnings).toHaveLength(1);
    expect(decodeText((await scope.versions.getFile(v3.id, 'app.txt')).content)).toBe('v3');
  });
});
