import { ConflictError, createVector, decodeText, type Vector, type VectorScope } from '@vector/core';
import { describeEachDatabase } from '@vector/core/testing';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startInOrganization } from '../../../test-support/engine-in-organization.js';
import type { GitHubStorage } from '../src/index.js';
import type { FakeRepository } from './fake-github/fake-github-server.js';
import { fakeStorage, useFakeGitHub } from './storage-fixture.js';

const fake = useFakeGitHub();

/** A commit on top of `parent` (not the branch's head: someone force-pushed), moving the branch to it. */
function forcePush(repo: FakeRepository, parent: string, files: Record<string, string>, message: string): string {
  const flat = repo.objects.flatten(repo.objects.commit(parent)?.tree ?? '');
  for (const [path, content] of Object.entries(files)) flat.set(path, { mode: '100644', type: 'blob', sha: repo.objects.putBlob(Buffer.from(content)) });
  const who = { name: 'Rebel', email: 'rebel@example.com', time: fake.now() };
  const sha = repo.objects.putCommit({ tree: repo.objects.buildTree(flat), parents: [parent], author: who, committer: who, message: `${message}\n` });
  repo.refs.set('refs/heads/main', sha);
  return sha;
}

describeEachDatabase('changes pushed to a GitHub branch outside Vector', (database) => {
  let vector: Vector;
  let scope: VectorScope;
  let storage: GitHubStorage;
  let stop: () => Promise<void>;
  beforeEach(async () => {
    const connection = await database.create();
    // Importing another repository of the organization's owner is allowed here.
    storage = fakeStorage(fake, { allowProjectRepositories: true });
    vector = createVector({ database: connection, storage: [storage] });
    ({ scope, stop } = await startInOrganization(vector, connection, { type: 'user', id: 'u1' }));
  });
  afterEach(() => stop());

  async function projectWithTwoVersions(name: string) {
    const project = await scope.projects.create({ name });
    const repo = fake.repository('acme', `${name.toLowerCase()}-${project.id.toLowerCase()}`) as FakeRepository;
    const v1 = await scope.versions.create({ projectId: project.id, parentVersionId: null, files: [{ path: 'index.html', content: '<h1>v1</h1>' }], message: 'v1' });
    const v2 = await scope.versions.create({ projectId: project.id, parentVersionId: v1.id, changes: [{ type: 'write', path: 'index.html', content: '<h1>v2</h1>' }], message: 'v2' });
    return { project, repo, v1, v2 };
  }

  it('turns a push on top of Vector’s head into a new version with the commit’s message and author', async () => {
    const { project, repo, v2 } = await projectWithTwoVersions('Pushed');
    expect((await scope.projects.syncStorage(project.id)).status).toBe('in_step');
    const pushed = fake.commitFiles(repo, 'main', { 'hotfix.txt': 'fixed by hand' }, 'Hotfix the header');
    const result = await scope.projects.syncStorage(project.id);
    expect(result.status).toBe('imported');
    expect(result.version).toMatchObject({ number: 3, parentId: v2.id, storageRef: pushed, source: 'import', message: 'Hotfix the header', author: { name: 'Someone Else', email: 'else@example.com' } });
    expect(result.project.currentVersionId).toBe(result.version?.id);
    expect(decodeText((await scope.versions.getFile(result.version?.id as string, 'hotfix.txt')).content)).toBe('fixed by hand');
    // Taking it in again changes nothing; Vector's next save builds on it.
    expect((await scope.projects.syncStorage(project.id)).status).toBe('in_step');
    const v4 = await scope.versions.create({ projectId: project.id, parentVersionId: result.version?.id as string, changes: [{ type: 'write', path: 'more.txt', content: 'more' }], message: 'v4' });
    expect(repo.refs.get('refs/heads/main')).toBe(v4.storageRef);
    expect(repo.objects.commit(v4.storageRef)?.parents).toEqual([pushed]);
  });

  it('puts a diverged branch in a conflict state showing both heads, and adopting the outside head settles it, audited', async () => {
    const { project, repo, v1, v2 } = await projectWithTwoVersions('Adopt');
    const rebel = forcePush(repo, v1.storageRef, { 'index.html': '<h1>theirs</h1>' }, 'Rewrite the page');
    const result = await scope.projects.syncStorage(project.id);
    expect(result.status).toBe('diverged');
    expect(result.project.storageConflict).toMatchObject({ versionId: v2.id, vectorRef: v2.storageRef, externalRef: rebel, externalMessage: 'Rewrite the page\n', externalAuthor: { name: 'Rebel' } });
    // Saves wait for the conflict to be settled, with a typed conflict.
    const refused = await scope.versions.create({ projectId: project.id, parentVersionId: v2.id, changes: [{ type: 'write', path: 'x', content: 'x' }], message: 'x' }).catch((error: unknown) => error);
    expect(ConflictError.isInstance(refused)).toBe(true);
    expect((refused as ConflictError).details).toMatchObject({ reason: 'STORAGE_DIVERGED' });
    const adopted = await scope.projects.resolveStorageConflict({ projectId: project.id, keep: 'external' });
    expect(adopted).toMatchObject({ number: 3, parentId: v2.id, storageRef: rebel, source: 'import' });
    expect(decodeText((await scope.versions.getFile(adopted.id, 'index.html')).content)).toBe('<h1>theirs</h1>');
    expect((await scope.projects.get(project.id)).storageConflict).toBeNull();
    const audit = await scope.audit.list({ action: 'project.storage_conflict_resolved' });
    expect(audit.items.map((entry) => entry.data)).toEqual([expect.objectContaining({ keep: 'external', externalRef: rebel, versionId: adopted.id })]);
    expect((await scope.audit.list({ action: 'project.storage_diverged' })).items).toHaveLength(1);
    await expect(scope.projects.resolveStorageConflict({ projectId: project.id, keep: 'external' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('keeps Vector’s head on top of the outside one without a force-push, and refuses when the branch moved again', async () => {
    const { project, repo, v1, v2 } = await projectWithTwoVersions('Keep');
    const rebel = forcePush(repo, v1.storageRef, { 'index.html': '<h1>theirs</h1>' }, 'Rewrite');
    expect((await scope.projects.syncStorage(project.id)).status).toBe('diverged');
    // Someone pushes again before anyone settles it: keeping refuses, and the conflict shows the new head.
    const again = fake.commitFiles(repo, 'main', { 'later.txt': 'later' }, 'Later');
    await expect(scope.projects.resolveStorageConflict({ projectId: project.id, keep: 'vector' })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await scope.projects.get(project.id)).storageConflict?.externalRef).toBe(again);
    expect(repo.refs.get('refs/heads/main')).toBe(again);

    const kept = await scope.projects.resolveStorageConflict({ projectId: project.id, keep: 'vector' });
    expect(kept).toMatchObject({ number: 3, parentId: v2.id, source: 'manual' });
    const head = repo.refs.get('refs/heads/main') as string;
    expect(kept.storageRef).toBe(head);
    // Vector's files, with both heads as parents: the outside commits stay in the history.
    expect(repo.objects.commit(head)?.parents).toEqual([v2.storageRef, again]);
    expect(repo.objects.ancestors(head).has(rebel)).toBe(true);
    expect(decodeText((await scope.versions.getFile(kept.id, 'index.html')).content)).toBe('<h1>v2</h1>');
    expect((await scope.versions.listFiles(kept.id)).map((file) => file.path)).toEqual(['index.html']);
    expect((await scope.projects.get(project.id)).storageConflict).toBeNull();
    expect((await scope.audit.list({ action: 'project.storage_conflict_resolved' })).items.map((entry) => entry.data)).toEqual([expect.objectContaining({ keep: 'vector', externalRef: again })]);
    // Work goes on from there.
    const next = await scope.versions.create({ projectId: project.id, parentVersionId: kept.id, changes: [{ type: 'write', path: 'next.txt', content: 'n' }], message: 'next' });
    expect(repo.refs.get('refs/heads/main')).toBe(next.storageRef);
  });

  it('adopts an existing repository as a new project, and a failed import leaves no project', async () => {
    const source = fake.createRepository('acme', 'existing-app', { files: { 'package.json': '{"name":"existing"}', 'src/main.ts': 'console.log(1)\n' } });
    expect(source.refs.get('refs/heads/main')).toBeDefined();
    const { project, version } = await scope.projects.importRepository({ name: 'Existing', source: { owner: 'acme', repository: 'existing-app' } });
    expect(version).toMatchObject({ number: 1, parentId: null, source: 'import' });
    expect(project.currentVersionId).toBe(version.id);
    expect((await scope.versions.listFiles(version.id)).map((file) => file.path)).toEqual(['package.json', 'src/main.ts']);
    expect((await scope.audit.list({ action: 'version.create' })).items[0]?.data).toMatchObject({ source: 'import' });
    const before = (await scope.projects.list()).items.length;
    await expect(scope.projects.importRepository({ name: 'Missing', source: { owner: 'acme', repository: 'does-not-exist' } })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await scope.projects.list()).items).toHaveLength(before);
  });
});
