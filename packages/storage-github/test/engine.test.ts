import { ConflictError, createVector, decodeText, type Vector, type VectorScope } from '@vector/core';
import { describeEachDatabase } from '@vector/core/testing';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { FakeGitHub } from './fake-github/fake-github-server.js';
import { fakeStorage } from './storage-fixture.js';

const fake = new FakeGitHub();
beforeAll(() => fake.start());
afterAll(() => fake.close());

describeEachDatabase('engine with GitHub storage', (database) => {
  let vector: Vector;
  let scope: VectorScope;
  let destroy: () => Promise<void>;
  beforeEach(async () => {
    const connection = await database.create();
    vector = createVector({ database: connection, storage: [fakeStorage(fake)] });
    await vector.start();
    const actor = { type: 'user' as const, id: 'u1' };
    const organization = await vector.organizations.create({ name: 'Acme' }, actor);
    scope = vector.scope({ organizationId: organization.id, actor });
    destroy = async () => {
      await vector.dispose();
      await connection.destroy();
    };
  });
  afterEach(() => destroy());

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
});
