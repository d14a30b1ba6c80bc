import { ConflictError, decodeText, defineStorageBackend, ForbiddenError, type ImportRepositoryInput, NotFoundError, type StorageBackend, ValidationError } from '@vector/core';
import { describe, expect, it } from 'vitest';
import type { FakeRepository } from './fake-github/fake-github-server.js';
import { author, fakeStorage, newProject, rejection, useFakeGitHub, write } from './storage-fixture.js';

const fake = useFakeGitHub({ clearEachTest: true });

const ada = { name: 'Ada Lovelace', email: 'ada@example.com' };

/** A project whose branch holds two published versions: v1 (index.html = v1), v2 (index.html = v2). */
async function published() {
  const storage = fakeStorage(fake);
  const project = newProject();
  await storage.createProject?.({ project });
  const repo = fake.repository('acme', `my-app-${project.id}`) as FakeRepository;
  const save = async (parentRef: string | null, content: string) => {
    const { ref } = await storage.saveVersion({ project, parentRef, changes: [write('index.html', content)], message: content, author });
    await storage.finalizeVersion({ project, ref, parentRef });
    return ref;
  };
  const v1 = await save(null, 'v1');
  const v2 = await save(v1, 'v2');
  const head = () => repo.refs.get('refs/heads/main');
  return { storage, project, repo, v1, v2, save, head };
}

describe('describeLocation', () => {
  it('names the repository and branch without a request', async () => {
    const storage = fakeStorage(fake);
    const project = newProject({ branch: 'site' });
    fake.requests.length = 0;
    const location = storage.describeLocation({ project });
    expect(location).toEqual({ repositoryUrl: `${fake.url}/acme/my-app-${project.id}`, owner: 'acme', repository: `my-app-${project.id}`, branch: 'site' });
    expect(fake.requests).toHaveLength(0);
    expect(fakeStorage(fake, { baseUrl: 'https://api.github.com' }).describeLocation({ project }).repositoryUrl).toBe(`https://github.com/acme/my-app-${project.id}`);
  });

  it("refuses a repository the project may not use, so pushes to it are never routed to the project", () => {
    const storage = fakeStorage(fake);
    expect(() => storage.describeLocation({ project: newProject({ owner: 'victim', repository: 'their-app' }) })).toThrow(ForbiddenError);
    const open = fakeStorage(fake, { allowProjectRepositories: true });
    expect(open.describeLocation({ project: newProject({ owner: 'acme', repository: 'mono', branch: 'apps/web' }) })).toMatchObject({ owner: 'acme', repository: 'mono', branch: 'apps/web' });
  });
});

describe('readHead', () => {
  it('reads the commit someone pushed: its SHA, message and author', async () => {
    const { storage, project, repo, v2 } = await published();
    expect(await storage.readHead({ project })).toEqual({ ref: v2, message: `v2\n\nVector-Project: ${project.id}\n`, author });
    const pushed = fake.push(repo, { files: { 'fix.txt': 'fixed' }, message: 'Fix the header\n\nBy hand.', author: ada });
    expect(await storage.readHead({ project })).toEqual({ ref: pushed, message: 'Fix the header\n\nBy hand.\n', author: ada });
  });

  it('is null for a missing branch, a missing repository and an empty repository', async () => {
    const storage = fakeStorage(fake);
    const project = newProject();
    expect(await storage.readHead({ project })).toBeNull();
    fake.createRepository('acme', `my-app-${project.id}`);
    expect(await storage.readHead({ project })).toBeNull();
    await storage.createProject?.({ project: { ...project, settings: {} } });
    expect(await storage.readHead({ project: { ...project, settings: { branch: 'nothing-here' } } })).toBeNull();
  });
});

describe('relateRefs', () => {
  it("reports ahead, behind, identical, diverged and unrelated with GitHub's counts", async () => {
    const { storage, project, repo, v1, v2 } = await published();
    const one = fake.push(repo, { files: { 'a.txt': '1' } });
    const two = fake.push(repo, { files: { 'a.txt': '2' } });
    expect(await storage.relateRefs({ project, base: v2, head: two })).toEqual({ status: 'ahead', aheadBy: 2, behindBy: 0 });
    expect(await storage.relateRefs({ project, base: two, head: v1 })).toEqual({ status: 'behind', aheadBy: 0, behindBy: 3 });
    expect(await storage.relateRefs({ project, base: one, head: one })).toEqual({ status: 'identical', aheadBy: 0, behindBy: 0 });
    const rebel = fake.push(repo, { onto: v1, files: { 'index.html': 'theirs' }, force: true });
    expect(await storage.relateRefs({ project, base: two, head: rebel })).toEqual({ status: 'diverged', aheadBy: 1, behindBy: 3 });
    const orphan = fake.push(repo, { onto: null, files: { 'other.txt': 'x' }, force: true });
    expect(await storage.relateRefs({ project, base: two, head: orphan })).toEqual({ status: 'unrelated', aheadBy: 0, behindBy: 0 });
  });

  it('is a NotFoundError for a ref that is not a commit SHA (never resolved as a branch name)', async () => {
    const { storage, project, v1 } = await published();
    expect(await rejection(storage.relateRefs({ project, base: 'main', head: v1 }))).toBeInstanceOf(NotFoundError);
  });
});

describe('a commit made outside Vector as a version ref', () => {
  it('is listed, read, diffed, built from and built on like a Vector version', async () => {
    const { storage, project, repo, v2, head } = await published();
    const pushed = fake.push(repo, { files: { 'docs/readme.md': '# Docs' }, message: 'Add docs', author: ada });
    expect((await storage.listFiles({ project, ref: pushed })).map((file) => file.path)).toEqual(['docs/readme.md', 'index.html']);
    expect((await storage.getFiles({ project, ref: pushed })).map((file) => [file.path, decodeText(file.content)])).toEqual([
      ['docs/readme.md', '# Docs'],
      ['index.html', 'v2'],
    ]);
    expect(decodeText((await storage.getFile({ project, ref: pushed, path: 'docs/readme.md' }))?.content ?? new Uint8Array())).toBe('# Docs');
    expect((await storage.diffVersions({ project, fromRef: v2, toRef: pushed })).map((diff) => [diff.path, diff.status])).toEqual([['docs/readme.md', 'added']]);
    expect(await storage.describeGitSource({ project, ref: pushed })).toMatchObject({ commitSha: pushed, branch: 'main' });
    // Vector's next version builds on the outside commit and fast-forwards the branch.
    const { ref: v3 } = await storage.saveVersion({ project, parentRef: pushed, changes: [write('index.html', 'v3')], message: 'v3', author });
    await storage.finalizeVersion({ project, ref: v3, parentRef: pushed });
    expect(head()).toBe(v3);
    expect(repo.objects.commit(v3)?.parents).toEqual([pushed]);
  });
});

describe('keepOver', () => {
  it("writes a commit with Vector's files and both heads as parents, and fast-forwards the branch to it", async () => {
    const { storage, project, repo, v1, v2, head } = await published();
    const rebel = fake.push(repo, { onto: v1, files: { 'index.html': 'theirs', 'theirs.txt': 'x' }, message: 'Rewrite', author: ada, force: true });
    fake.requests.length = 0;
    const { ref: merge } = await storage.keepOver({ project, ref: v2, over: rebel, message: 'Keep Vector’s version', author });
    expect(head()).toBe(merge);
    const commit = repo.objects.commit(merge);
    expect(commit?.parents).toEqual([v2, rebel]);
    expect(commit?.tree).toBe(repo.objects.commit(v2)?.tree);
    expect(commit?.message).toBe(`Keep Vector’s version\n\nVector-Project: ${project.id}\n`);
    expect(commit?.author).toMatchObject(author);
    // The outside commit stays in the history; none of its files are in the tree.
    expect(repo.objects.ancestors(merge).has(rebel)).toBe(true);
    expect((await storage.getFiles({ project, ref: merge })).map((file) => [file.path, decodeText(file.content)])).toEqual([['index.html', 'v2']]);
    // A fast-forward, never a force-push.
    const moves = fake.requests.filter((request) => request.method === 'PATCH');
    expect(moves.map((request) => request.body)).toEqual([{ sha: merge, force: false }]);
    // Work goes on from the merge commit.
    const { ref: v3 } = await storage.saveVersion({ project, parentRef: merge, changes: [write('next.txt', 'n')], message: 'v3', author });
    await storage.finalizeVersion({ project, ref: v3, parentRef: merge });
    expect(head()).toBe(v3);
  });

  it('refuses with a ConflictError, writing nothing, when the branch moved again', async () => {
    const { storage, project, repo, v1, v2, head } = await published();
    const rebel = fake.push(repo, { onto: v1, files: { 'index.html': 'theirs' }, force: true });
    const again = fake.push(repo, { files: { 'later.txt': 'later' } });
    fake.requests.length = 0;
    const error = await rejection(storage.keepOver({ project, ref: v2, over: rebel, message: 'keep', author }));
    expect(ConflictError.isInstance(error)).toBe(true);
    expect((error as ConflictError).details).toMatchObject({ expectedRef: rebel, actualRef: again, ref: v2, branch: 'main' });
    expect(head()).toBe(again);
    expect(fake.requests.filter((request) => request.method !== 'GET')).toEqual([]);
  });

  it('refuses with a ConflictError when a push races the branch update (GitHub: not a fast forward)', async () => {
    const { storage, project, repo, v1, v2, head } = await published();
    const rebel = fake.push(repo, { onto: v1, files: { 'index.html': 'theirs' }, force: true });
    let again = '';
    fake.beforeNext((method, path) => method === 'PATCH' && path.endsWith('/git/refs/heads/main'), () => {
      again = fake.push(repo, { files: { 'race.txt': 'raced' } });
    });
    const error = await rejection(storage.keepOver({ project, ref: v2, over: rebel, message: 'keep', author }));
    expect(ConflictError.isInstance(error)).toBe(true);
    expect((error as ConflictError).details).toMatchObject({ expectedRef: rebel, actualRef: again });
    expect(head()).toBe(again);
    expect(repo.objects.ancestors(again).has(rebel)).toBe(true);
  });

  it('is a NotFoundError for an unknown or malformed ref', async () => {
    const { storage, project, repo, v1 } = await published();
    const rebel = fake.push(repo, { onto: v1, files: { 'index.html': 'theirs' }, force: true });
    expect(await rejection(storage.keepOver({ project, ref: 'f'.repeat(40), over: rebel, message: 'keep', author }))).toBeInstanceOf(NotFoundError);
    expect(await rejection(storage.keepOver({ project, ref: 'HEAD', over: rebel, message: 'keep', author }))).toBeInstanceOf(NotFoundError);
  });
});

describe('the storage contract', () => {
  it('declares externalChanges and importRepository, and defineStorageBackend accepts it', () => {
    const storage = fakeStorage(fake);
    expect(storage.capabilities).toMatchObject({ externalChanges: true, importRepository: true });
    expect(defineStorageBackend(storage)).toBe(storage);
    // The check is real: the same backend without one of the methods is refused.
    expect(() => defineStorageBackend({ ...storage, keepOver: undefined })).toThrow(ValidationError);
  });

  it("imports a repository through the contract's importRepository", async () => {
    const source = fake.createRepository('acme', `contract-source-${newProject().id}`, { files: { 'package.json': '{}', 'src/app.ts': 'export {};\n' } });
    fake.push(source, { files: { 'src/app.ts': 'export const x = 1;\n' }, message: 'x' });
    const backend: StorageBackend = fakeStorage(fake, { allowProjectRepositories: true });
    const project = newProject();
    await backend.createProject?.({ project });
    const input: ImportRepositoryInput = { project, owner: 'acme', repository: source.name, message: 'Import', author };
    const imported = await backend.importRepository?.(input);
    expect(imported?.ref).toMatch(/^[0-9a-f]{40}$/);
    const files = await backend.getFiles({ project, ref: imported?.ref as string });
    expect(files.map((file) => [file.path, decodeText(file.content)])).toEqual([
      ['package.json', '{}'],
      ['src/app.ts', 'export const x = 1;\n'],
    ]);
  });
});
