import { ConflictError, ProviderError, createVector, decodeText, type Vector, type VectorScope } from '@vector/core';
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
  it('takes a branch’s commit in as version 1 of a project with no versions, and names a version after its commit when the message is blank', async () => {
    const project = await scope.projects.create({ name: 'Blank' });
    const repo = fake.repository('acme', `blank-${project.id.toLowerCase()}`) as FakeRepository;
    const first = await scope.projects.syncStorage(project.id);
    expect(first.status).toBe('imported');
    expect(first.version).toMatchObject({ number: 1, parentId: null, storageRef: repo.refs.get('refs/heads/main'), source: 'import' });
    const pushed = fake.push(repo, { files: { 'a.txt': 'a' }, message: '   ' });
    const result = await scope.projects.syncStorage(project.id);
    expect(result.status).toBe('imported');
    expect(result.version).toMatchObject({ number: 2, parentId: first.version?.id, storageRef: pushed, source: 'import', message: `Commit ${pushed} pushed outside Vector` });
  });

  it('keeps at most 10,000 characters of a pushed commit’s message on the version, and 2,000 on a conflict', async () => {
    const { project, repo, v1 } = await projectWithTwoVersions('Long');
    fake.commitFiles(repo, 'main', { 'long.txt': 'long' }, `${'m'.repeat(10_050)}`);
    const imported = await scope.projects.syncStorage(project.id);
    expect(imported.version?.message).toBe('m'.repeat(10_000));
    forcePush(repo, v1.storageRef, { 'index.html': '<h1>theirs</h1>' }, 'c'.repeat(3000));
    const diverged = await scope.projects.syncStorage(project.id);
    expect(diverged.project.storageConflict?.externalMessage).toBe('c'.repeat(2000));
  });

  it('finds a branch reset to an older Vector version in step: Vector is ahead, nothing is taken in', async () => {
    const { project, repo, v1, v2 } = await projectWithTwoVersions('Behind');
    repo.refs.set('refs/heads/main', v1.storageRef);
    const result = await scope.projects.syncStorage(project.id);
    expect(result).toMatchObject({ status: 'in_step', version: null });
    expect(result.project).toMatchObject({ currentVersionId: v2.id, storageConflict: null });
    expect((await scope.audit.list({ action: 'project.storage_diverged' })).items).toHaveLength(0);
  });

  it('finds a branch in step when the backend names Vector’s head otherwise but relates the two as identical', async () => {
    const { project, v2 } = await projectWithTwoVersions('Alias');
    // A backend whose head ref is another name for the same commit (a tag, say): relateRefs decides.
    const readHead = storage.readHead.bind(storage);
    storage.readHead = async (input) => {
      const head = await readHead(input);
      return head && { ...head, ref: `alias-of-${head.ref}` };
    };
    storage.relateRefs = async ({ base, head }) => ({ status: head === `alias-of-${base}` ? 'identical' : 'diverged', aheadBy: 0, behindBy: 0 });
    const result = await scope.projects.syncStorage(project.id);
    expect(result).toMatchObject({ status: 'in_step', version: null });
    expect(result.project).toMatchObject({ currentVersionId: v2.id, storageConflict: null });
  });

  it('takes a push in once when two syncs race for it: the loser retries, finds the branch in step, and does not fail', async () => {
    const { project, repo, v2 } = await projectWithTwoVersions('Racing');
    const pushed = fake.commitFiles(repo, 'main', { 'hotfix.txt': 'fixed by hand' }, 'Hotfix');
    // Both read the branch's head before either records a version: hold every readHead until both asked.
    const readHead = storage.readHead.bind(storage);
    const waiting: Array<() => void> = [];
    storage.readHead = async (input) => {
      const head = await readHead(input);
      if (waiting.length < 2) {
        await new Promise<void>((resolve) => {
          waiting.push(resolve);
          if (waiting.length === 2) for (const release of waiting) release();
        });
      }
      return head;
    };
    const results = await Promise.all([scope.projects.syncStorage(project.id), scope.projects.syncStorage(project.id)]);
    storage.readHead = readHead;
    expect(results.map((result) => result.status).sort()).toEqual(['imported', 'in_step']);
    const versions = await scope.versions.list(project.id);
    expect(versions.items.map((version) => version.number)).toEqual([3, 2, 1]);
    expect(versions.items[0]).toMatchObject({ parentId: v2.id, storageRef: pushed, source: 'import' });
  });

  it('does not retry a failure other than a lost race: the backend’s error reaches the caller', async () => {
    const { project } = await projectWithTwoVersions('Flaky');
    const readHead = storage.readHead.bind(storage);
    let calls = 0;
    storage.readHead = async (input) => {
      calls += 1;
      if (calls === 1) throw new ProviderError({ provider: 'github', message: 'Service Unavailable', status: 503 });
      return readHead(input);
    };
    await expect(scope.projects.syncStorage(project.id)).rejects.toMatchObject({ code: 'PROVIDER_ERROR', message: 'Service Unavailable' });
    expect(calls).toBe(1);
  });

  it('asks the backend for nothing but its head when the branch is at Vector’s head', async () => {
    const { project } = await projectWithTwoVersions('Quiet');
    let relations = 0;
    const relateRefs = storage.relateRefs.bind(storage);
    storage.relateRefs = async (input) => {
      relations += 1;
      return relateRefs(input);
    };
    expect((await scope.projects.syncStorage(project.id)).status).toBe('in_step');
    expect(relations).toBe(0);
  });

  it('records a divergence once, audited and announced, and clears it when the branch comes back to Vector’s head', async () => {
    const { project, repo, v1, v2 } = await projectWithTwoVersions('Back');
    const updates: Array<{ projectId: string; conflictRef: string | null }> = [];
    vector.events.on('project.updated', (payload) => updates.push({ projectId: payload.projectId, conflictRef: payload.project.storageConflict?.externalRef ?? null }));
    const rebel = forcePush(repo, v1.storageRef, { 'index.html': '<h1>theirs</h1>' }, 'Rewrite the page');
    expect((await scope.projects.syncStorage(project.id)).status).toBe('diverged');
    // Seen again: nothing new to record.
    expect((await scope.projects.syncStorage(project.id)).status).toBe('diverged');
    const diverged = (await scope.audit.list({ action: 'project.storage_diverged' })).items;
    expect(diverged).toHaveLength(1);
    expect(diverged[0]).toMatchObject({ entityType: 'project', entityId: project.id });
    expect(diverged[0]?.data).toEqual({ vectorRef: v2.storageRef, externalRef: rebel, externalMessage: 'Rewrite the page\n', externalAuthor: { name: 'Rebel', email: 'rebel@example.com' } });
    expect(updates).toEqual([{ projectId: project.id, conflictRef: rebel }]);
    // A save meanwhile is refused, saying how to settle it.
    const refused = await scope.versions.create({ projectId: project.id, parentVersionId: v2.id, changes: [{ type: 'write', path: 'x', content: 'x' }], message: 'x' }).catch((error: unknown) => error);
    expect(ConflictError.isInstance(refused)).toBe(true);
    expect((refused as ConflictError).message).toBe(
      `Project ${project.id}'s storage branch was changed outside Vector in a way its versions do not contain; settle it first (projects.resolveStorageConflict: adopt the outside head, or keep Vector's)`,
    );
    expect((refused as ConflictError).details).toEqual({ projectId: project.id, reason: 'STORAGE_DIVERGED', storageConflict: expect.objectContaining({ versionId: v2.id, vectorRef: v2.storageRef, externalRef: rebel }) });

    repo.refs.set('refs/heads/main', v2.storageRef);
    const back = await scope.projects.syncStorage(project.id);
    expect(back).toMatchObject({ status: 'in_step', version: null });
    expect(back.project.storageConflict).toBeNull();
    const inStep = (await scope.audit.list({ action: 'project.storage_in_step' })).items;
    expect(inStep).toHaveLength(1);
    expect(inStep[0]).toMatchObject({ entityType: 'project', entityId: project.id, data: { previous: expect.objectContaining({ vectorRef: v2.storageRef, externalRef: rebel }) } });
    expect(updates).toEqual([
      { projectId: project.id, conflictRef: rebel },
      { projectId: project.id, conflictRef: null },
    ]);
    // Saves work again.
    await scope.versions.create({ projectId: project.id, parentVersionId: v2.id, changes: [{ type: 'write', path: 'x', content: 'x' }], message: 'x' });
  });

  it('takes in a push on top of Vector’s head while a conflict is open, and that settles the conflict', async () => {
    const { project, repo, v1, v2 } = await projectWithTwoVersions('Reopen');
    forcePush(repo, v1.storageRef, { 'index.html': '<h1>theirs</h1>' }, 'Rewrite');
    expect((await scope.projects.syncStorage(project.id)).status).toBe('diverged');
    const onTop = forcePush(repo, v2.storageRef, { 'fix.txt': 'fix' }, 'Fix on top of Vector');
    const result = await scope.projects.syncStorage(project.id);
    expect(result.status).toBe('imported');
    expect(result.version).toMatchObject({ number: 3, parentId: v2.id, storageRef: onTop, message: 'Fix on top of Vector' });
    expect(result.project.storageConflict).toBeNull();
    expect((await scope.projects.get(project.id)).storageConflict).toBeNull();
    const audit = (await scope.audit.list({ action: 'version.create', projectId: project.id })).items[0];
    expect(audit).toMatchObject({ entityType: 'version', entityId: result.version?.id });
    expect(audit?.data).toEqual({ number: 3, source: 'import', author: { name: 'Rebel', email: 'rebel@example.com' }, ref: onTop });
  });

  it('refuses to settle a conflict once the branch moved again, saying where it is now, or that it has no commit', async () => {
    const { project, repo, v1 } = await projectWithTwoVersions('Moved');
    forcePush(repo, v1.storageRef, { 'index.html': '<h1>theirs</h1>' }, 'Rewrite');
    expect((await scope.projects.syncStorage(project.id)).status).toBe('diverged');
    const again = fake.commitFiles(repo, 'main', { 'later.txt': 'later' }, 'Later');
    const moved = await scope.projects.resolveStorageConflict({ projectId: project.id, keep: 'external' }).catch((error: unknown) => error);
    expect(ConflictError.isInstance(moved)).toBe(true);
    expect((moved as ConflictError).message).toBe(`The branch moved again since the conflict was seen (it is at ${again}); look at the project's storageConflict again and retry`);
    expect((moved as ConflictError).details).toEqual({ projectId: project.id, externalRef: again });

    repo.refs.delete('refs/heads/main');
    const gone = await scope.projects.resolveStorageConflict({ projectId: project.id, keep: 'vector' }).catch((error: unknown) => error);
    expect(ConflictError.isInstance(gone)).toBe(true);
    expect((gone as ConflictError).message).toContain('(it is at no commit)');
    expect((gone as ConflictError).details).toEqual({ projectId: project.id, externalRef: null });
  });

  it('keeps Vector’s head as a commit by the actor, named after the kept version and the outside commit, audited with both heads', async () => {
    const { project, repo, v1, v2 } = await projectWithTwoVersions('Author');
    const rebel = forcePush(repo, v1.storageRef, { 'index.html': '<h1>theirs</h1>' }, 'Rewrite');
    expect((await scope.projects.syncStorage(project.id)).status).toBe('diverged');
    const keeper = vector.scope({ organizationId: project.organizationId, actor: { type: 'user', id: 'ann+ops@x' } });
    const kept = await keeper.projects.resolveStorageConflict({ projectId: project.id, keep: 'vector' });
    expect(kept.message).toBe(`Keep version 2 over the outside change ${rebel.slice(0, 7)}`);
    expect(repo.objects.commit(kept.storageRef)?.author).toMatchObject({ name: 'user:ann+ops@x', email: 'user.ann_ops_x@users.vector.invalid' });
    const resolved = (await scope.audit.list({ action: 'project.storage_conflict_resolved' })).items;
    expect(resolved).toHaveLength(1);
    expect(resolved[0]).toMatchObject({ entityType: 'project', entityId: project.id, afterId: kept.id });
    expect(resolved[0]?.data).toEqual({ keep: 'vector', vectorRef: v2.storageRef, externalRef: rebel, versionId: kept.id, ref: kept.storageRef });
  });

  it('shows a push made while Vector’s head was being kept as the new conflict, and keeping refuses', async () => {
    const { project, repo, v1 } = await projectWithTwoVersions('Sneaky');
    forcePush(repo, v1.storageRef, { 'index.html': '<h1>theirs</h1>' }, 'Rewrite');
    expect((await scope.projects.syncStorage(project.id)).status).toBe('diverged');
    let sneaked = '';
    fake.beforeNext(
      (method, path) => method === 'PATCH' && path.includes('/git/refs/'),
      () => {
        sneaked = fake.commitFiles(repo, 'main', { 'sneak.txt': 'sneak' }, 'Sneak');
      },
    );
    await expect(scope.projects.resolveStorageConflict({ projectId: project.id, keep: 'vector' })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(sneaked).not.toBe('');
    expect((await scope.projects.get(project.id)).storageConflict?.externalRef).toBe(sneaked);
  });

  it('settles the conflict when the branch’s push event takes the kept commit in before keeping records it', async () => {
    const { project, repo, v1, v2 } = await projectWithTwoVersions('Echo');
    const rebel = forcePush(repo, v1.storageRef, { 'index.html': '<h1>theirs</h1>' }, 'Rewrite');
    expect((await scope.projects.syncStorage(project.id)).status).toBe('diverged');
    const keepOver = storage.keepOver.bind(storage);
    storage.keepOver = async (input) => {
      const kept = await keepOver(input);
      // The push event of the branch's move arrives first: a sync takes the kept commit in.
      expect((await scope.projects.syncStorage(project.id)).status).toBe('imported');
      return kept;
    };
    const kept = await scope.projects.resolveStorageConflict({ projectId: project.id, keep: 'vector' });
    expect(kept).toMatchObject({ number: 3, parentId: v2.id, storageRef: repo.refs.get('refs/heads/main'), source: 'import' });
    expect((await scope.projects.get(project.id)).storageConflict).toBeNull();
    const resolved = (await scope.audit.list({ action: 'project.storage_conflict_resolved' })).items;
    expect(resolved.map((entry) => entry.data)).toEqual([{ keep: 'vector', vectorRef: v2.storageRef, externalRef: rebel, versionId: kept.id, ref: kept.storageRef }]);
  });

  it('leaves the conflict open when recording the kept commit fails, and the next sync takes it in', async () => {
    const { project, repo, v1, v2 } = await projectWithTwoVersions('Unrecorded');
    forcePush(repo, v1.storageRef, { 'index.html': '<h1>theirs</h1>' }, 'Rewrite');
    expect((await scope.projects.syncStorage(project.id)).status).toBe('diverged');
    const listFiles = storage.listFiles.bind(storage);
    let failing = true;
    storage.listFiles = async (input) => {
      if (failing) {
        failing = false;
        throw new ProviderError({ provider: 'github', message: 'Bad Gateway', status: 502 });
      }
      return listFiles(input);
    };
    await expect(scope.projects.resolveStorageConflict({ projectId: project.id, keep: 'vector' })).rejects.toMatchObject({ code: 'PROVIDER_ERROR', message: 'Bad Gateway' });
    expect((await scope.projects.get(project.id)).currentVersionId).toBe(v2.id);
    const head = repo.refs.get('refs/heads/main') as string;
    expect(repo.objects.commit(head)?.parents[0]).toBe(v2.storageRef);
    const synced = await scope.projects.syncStorage(project.id);
    expect(synced).toMatchObject({ status: 'imported', version: { number: 3, storageRef: head } });
    expect(synced.project.storageConflict).toBeNull();
  });
});
