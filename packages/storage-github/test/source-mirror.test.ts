import { randomUUID } from 'node:crypto';
import { CancelledError, ConflictError, encodeText, type SourceFile, type SourceMirrorProject, type SourceMirrorVersion, ValidationError } from '@vector/core';
import { describe, expect, it } from 'vitest';
import { createGitHubSourceMirror, type GitHubSourceMirror } from '../src/index.js';
import type { FakeRepository } from './fake-github/fake-github-server.js';
import { fakeMirror, rejection, useFakeGitHub } from './storage-fixture.js';

const fake = useFakeGitHub({ clearEachTest: true });

function newProject(organizationId = randomUUID()): SourceMirrorProject {
  return { id: randomUUID(), organizationId, name: 'My App' };
}

let clock = Date.parse('2026-03-01T10:00:00.000Z');
function newVersion(number: number, parent: SourceMirrorVersion | null = null, message = `change ${number}`): SourceMirrorVersion {
  clock += 60_123;
  return { id: randomUUID(), number, storageRef: `ref-${number}`, parentId: parent?.id ?? null, message, createdAt: new Date(clock).toISOString() };
}

/** A files loader over a record that counts its calls. */
function loader(files: Record<string, string>) {
  const getFiles = Object.assign(
    async (): Promise<SourceFile[]> => {
      getFiles.calls += 1;
      return Object.entries(files).map(([path, content]) => ({ path, content: encodeText(content) }));
    },
    { calls: 0 },
  );
  return getFiles;
}

/** The files of a commit, read back from the fake's object store. */
function filesAt(repo: FakeRepository, commitSha: string): Record<string, string> {
  const tree = repo.objects.commit(commitSha)?.tree ?? '';
  return Object.fromEntries([...repo.objects.flatten(tree)].map(([path, entry]) => [path, repo.objects.blob(entry.sha)?.toString('utf8') ?? '']));
}

const writes = () => fake.requests.filter((request) => request.method !== 'GET');
const tagOf = (version: SourceMirrorVersion) => `refs/tags/vector/versions/${version.id}`;

describe('GitHub source mirror, one repository per project', () => {
  it('publishes a version as a commit on main of a new private repository, and the same version again as the same commit', async () => {
    const mirror = fakeMirror(fake);
    const project = newProject();
    const v1 = newVersion(1, null, 'First version\n\nWith a body.');
    const files = loader({ 'index.html': '<h1>v1</h1>\n', 'src/main.js': 'run()\n' });
    const source = await mirror.publish({ project, version: v1, getFiles: files });

    const repo = fake.repository('acme', `vector-${project.id}`) as FakeRepository;
    expect(repo.private).toBe(true);
    expect(fake.requests.find((request) => request.path === '/orgs/acme/repos')?.body).toMatchObject({ name: `vector-${project.id}`, private: true, auto_init: true });
    expect(source).toEqual({ repositoryUrl: `${fake.url}/acme/vector-${project.id}`, owner: 'acme', repository: `vector-${project.id}`, branch: 'main', commitSha: expect.stringMatching(/^[0-9a-f]{40}$/) });
    expect(repo.refs.get('refs/heads/main')).toBe(source.commitSha);
    expect(repo.refs.get(tagOf(v1))).toBe(source.commitSha);
    expect(filesAt(repo, source.commitSha)).toEqual({ 'index.html': '<h1>v1</h1>\n', 'src/main.js': 'run()\n' });
    const commit = repo.objects.commit(source.commitSha);
    // GitHub's README commit is replaced, not built on: the version's commit is a root.
    expect(commit?.parents).toEqual([]);
    expect(commit?.message).toBe(`Version 1: First version\n\nWith a body.\n\nVector-Project: ${project.id}\nVector-Version: ${v1.id}\nVector-Version-Number: 1\n`);
    expect(commit?.author).toEqual({ name: 'Vector', email: 'mirror@vector.invalid', time: Math.floor(Date.parse(v1.createdAt) / 1000) });
    expect(commit?.committer).toEqual(commit?.author);

    fake.requests.length = 0;
    const again = await mirror.publish({ project, version: v1, getFiles: files });
    expect(again).toEqual(source);
    // Found through its tag: nothing written, the files not even loaded.
    expect(writes()).toEqual([]);
    expect(files.calls).toBe(1);
  });

  it('builds a version on its parent version’s commit, and moves the branch forward only', async () => {
    const mirror = fakeMirror(fake);
    const project = newProject();
    const v1 = newVersion(1);
    const v2 = newVersion(2, v1);
    const first = await mirror.publish({ project, version: v1, getFiles: loader({ 'a.txt': 'a', 'keep.txt': 'same', 'dir/x.txt': 'x' }) });
    fake.requests.length = 0;
    const second = await mirror.publish({ project, version: v2, getFiles: loader({ 'a.txt': 'A', 'keep.txt': 'same', 'dir': 'now a file' }) });
    const repo = fake.repository('acme', `vector-${project.id}`) as FakeRepository;
    expect(repo.objects.commit(second.commitSha)?.parents).toEqual([first.commitSha]);
    expect(filesAt(repo, second.commitSha)).toEqual({ 'a.txt': 'A', 'keep.txt': 'same', dir: 'now a file' });
    // Only what changed travels, and the branch fast-forwards.
    const sent = fake.requests.filter((request) => request.path.endsWith('/git/trees') && request.method === 'POST').flatMap((request) => (request.body as { tree: Array<{ path: string }> }).tree.map((entry) => entry.path));
    expect(sent.sort()).toEqual(['a.txt', 'dir', 'dir/x.txt']);
    expect(fake.requests.find((request) => request.method === 'PATCH')?.body).toMatchObject({ sha: second.commitSha, force: false });
    expect(repo.refs.get('refs/heads/main')).toBe(second.commitSha);

    // Deploying v1 again (a rollback) reuses its commit and leaves the branch at v2.
    expect((await mirror.publish({ project, version: v1, getFiles: loader({}) })).commitSha).toBe(first.commitSha);
    expect(repo.refs.get('refs/heads/main')).toBe(second.commitSha);

    // v4, whose parent v3 was never mirrored, is a root commit; the branch still moves to it.
    const v3 = newVersion(3, v2);
    const v4 = newVersion(4, v3);
    const fourth = await mirror.publish({ project, version: v4, getFiles: loader({ 'a.txt': 'four' }) });
    expect(repo.objects.commit(fourth.commitSha)?.parents).toEqual([]);
    expect(repo.refs.get('refs/heads/main')).toBe(fourth.commitSha);
    // v3 published late is older than the branch: it gets its commit, the branch stays.
    const third = await mirror.publish({ project, version: v3, getFiles: loader({ 'a.txt': 'three' }) });
    expect(repo.objects.commit(third.commitSha)?.parents).toEqual([second.commitSha]);
    expect(repo.refs.get('refs/heads/main')).toBe(fourth.commitSha);
    expect(filesAt(repo, third.commitSha)).toEqual({ 'a.txt': 'three' });
  });

  it('recovers from a crash between creating the commit and recording it: the retry finds the same commit', async () => {
    const mirror = fakeMirror(fake);
    const project = newProject();
    const v1 = newVersion(1);
    const files = loader({ 'index.html': 'hello' });

    // Crash after the commit, before its tag: the retry writes the same commit again.
    fake.injectFailure({ status: 502, count: 10, match: (method, path) => method === 'POST' && path.endsWith('/git/refs') });
    expect(await rejection(mirror.publish({ project, version: v1, getFiles: files }))).toMatchObject({ code: 'PROVIDER_ERROR', isRetryable: true });
    fake.injections.length = 0;
    const repo = fake.repository('acme', `vector-${project.id}`) as FakeRepository;
    expect(repo.refs.get(tagOf(v1))).toBeUndefined();
    const commitRequests = () => fake.requests.filter((request) => request.method === 'POST' && request.path.endsWith('/git/commits')).map((request) => request.body);
    expect(commitRequests()).toHaveLength(1);
    const recovered = await mirror.publish({ project, version: v1, getFiles: files });
    // Deterministic: the retry asked for exactly the same commit (tree, parents, message,
    // author and dates), so git gave it the same SHA as the orphan.
    const [orphan, retried] = commitRequests();
    expect(retried).toEqual(orphan);
    expect(repo.refs.get(tagOf(v1))).toBe(recovered.commitSha);
    expect(repo.refs.get('refs/heads/main')).toBe(recovered.commitSha);

    // Crash after publishing, before the engine stored the answer: the retry finds it by its tag.
    fake.requests.length = 0;
    const mirrorInAnotherProcess = fakeMirror(fake);
    expect(await mirrorInAnotherProcess.publish({ project, version: v1, getFiles: files })).toEqual(recovered);
    expect(writes()).toEqual([]);
  });

  it('writes the same commit for the same version in any repository state: deterministic content, dates and message', async () => {
    const mirror = fakeMirror(fake);
    const project = newProject();
    const v1 = newVersion(1);
    const first = await mirror.publish({ project, version: v1, getFiles: loader({ 'x.txt': 'x' }) });
    const repo = fake.repository('acme', `vector-${project.id}`) as FakeRepository;
    // Lose the tag (say, someone deleted it): the publish writes the commit anew, and it is the same one.
    repo.refs.delete(tagOf(v1));
    const second = await mirror.publish({ project, version: v1, getFiles: loader({ 'x.txt': 'x' }) });
    expect(second.commitSha).toBe(first.commitSha);
  });

  it('gives concurrent publishes of one version one commit', async () => {
    const mirror = fakeMirror(fake);
    const project = newProject();
    const v1 = newVersion(1);
    const [a, b] = await Promise.all([mirror.publish({ project, version: v1, getFiles: loader({ 'x.txt': 'x' }) }), mirror.publish({ project, version: v1, getFiles: loader({ 'x.txt': 'x' }) })]);
    expect(a).toEqual(b);
  });

  it('never overwrites a branch holding commits it did not make, and writes nothing then', async () => {
    const project = newProject();
    const mirror = fakeMirror(fake, { repository: () => `existing-${project.id}` });
    fake.createRepository('acme', `existing-${project.id}`, { files: { 'server.js': 'someone else’s code' } });
    fake.requests.length = 0;
    const error = await rejection(mirror.publish({ project, version: newVersion(1), getFiles: loader({ 'x.txt': 'x' }) }));
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).message).toContain('never overwritten');
    expect(writes()).toEqual([]);
  });

  it('refuses a tag that does not name the version’s mirrored commit', async () => {
    const mirror = fakeMirror(fake);
    const project = newProject();
    const v1 = newVersion(1);
    const v2 = newVersion(2, v1);
    const first = await mirror.publish({ project, version: v1, getFiles: loader({ 'x.txt': 'x' }) });
    const repo = fake.repository('acme', `vector-${project.id}`) as FakeRepository;
    repo.refs.set(tagOf(v2), first.commitSha);
    expect(await rejection(mirror.publish({ project, version: v2, getFiles: loader({ 'x.txt': 'y' }) }))).toBeInstanceOf(ConflictError);
  });

  it('stops with CancelledError when the signal aborts', async () => {
    const mirror = fakeMirror(fake);
    const controller = new AbortController();
    const files = async (): Promise<SourceFile[]> => {
      controller.abort(new Error('stop'));
      return [{ path: 'x.txt', content: encodeText('x') }];
    };
    const error = await rejection(mirror.publish({ project: newProject(), version: newVersion(1), getFiles: files, signal: controller.signal }));
    expect(error).toBeInstanceOf(CancelledError);
    expect(fake.requests.filter((request) => request.path.endsWith('/git/commits'))).toEqual([]);
  });
});

describe('GitHub source mirror, one repository per organization', () => {
  it('keeps each project on its own branch of its organization’s repository', async () => {
    const mirror = fakeMirror(fake, { scope: 'organization' });
    const organizationId = randomUUID();
    const shop = newProject(organizationId);
    const blog = newProject(organizationId);
    const elsewhere = newProject();
    const shopSource = await mirror.publish({ project: shop, version: newVersion(1), getFiles: loader({ 'shop.html': 'shop' }) });
    const blogSource = await mirror.publish({ project: blog, version: newVersion(1), getFiles: loader({ 'blog.html': 'blog' }) });
    const otherSource = await mirror.publish({ project: elsewhere, version: newVersion(1), getFiles: loader({ 'other.html': 'other' }) });

    expect(shopSource).toMatchObject({ repository: `vector-${organizationId}`, branch: `vector/${shop.id}` });
    expect(blogSource).toMatchObject({ repository: `vector-${organizationId}`, branch: `vector/${blog.id}` });
    expect(otherSource).toMatchObject({ repository: `vector-${elsewhere.organizationId}`, branch: `vector/${elsewhere.id}` });
    const repo = fake.repository('acme', `vector-${organizationId}`) as FakeRepository;
    expect(fake.requests.filter((request) => request.path === '/orgs/acme/repos' && (request.body as { name: string }).name === `vector-${organizationId}`)).toHaveLength(1);
    expect(repo.refs.get(`refs/heads/vector/${shop.id}`)).toBe(shopSource.commitSha);
    expect(repo.refs.get(`refs/heads/vector/${blog.id}`)).toBe(blogSource.commitSha);
    expect(filesAt(repo, shopSource.commitSha)).toEqual({ 'shop.html': 'shop' });
    expect(filesAt(repo, blogSource.commitSha)).toEqual({ 'blog.html': 'blog' });
    // GitHub's initial commit stays on main.
    expect(filesAt(repo, repo.refs.get('refs/heads/main') as string)).toEqual({ 'README.md': `# vector-${organizationId}\n` });
  });

  it('takes a fixed repository name and a branch prefix', async () => {
    const mirror = fakeMirror(fake, { scope: 'organization', repository: 'all-mirrors', branchPrefix: 'apps/' });
    const project = newProject();
    const source = await mirror.publish({ project, version: newVersion(1), getFiles: loader({ 'x.txt': 'x' }) });
    expect(source).toMatchObject({ repository: 'all-mirrors', branch: `apps/${project.id}` });
    expect(fake.repository('acme', 'all-mirrors')?.refs.get(`refs/heads/apps/${project.id}`)).toBe(source.commitSha);
  });
});

describe('createGitHubSourceMirror options', () => {
  it('validates its options, with environment fallbacks', () => {
    expect(() => createGitHubSourceMirror({ owner: 'acme', env: {} })).toThrow(/credentials/);
    expect(() => createGitHubSourceMirror({ auth: { token: 't' }, env: {} })).toThrow(ValidationError);
    expect(() => createGitHubSourceMirror({ auth: { token: 't' }, owner: 'acme', repository: 'one', env: {} })).toThrow(/scope 'organization'/);
    expect(() => createGitHubSourceMirror({ auth: { token: 't' }, owner: 'acme', branchPrefix: 'bad..', env: {} })).toThrow(ValidationError);
    const mirror: GitHubSourceMirror = createGitHubSourceMirror({ env: { GITHUB_TOKEN: 't', GITHUB_MIRROR_OWNER: 'mirrors', GITHUB_OWNER: 'acme' } });
    expect(mirror).toMatchObject({ specificationVersion: 'v1', name: 'github' });
    expect(createGitHubSourceMirror({ env: { GITHUB_TOKEN: 't', GITHUB_OWNER: 'acme' }, name: 'gh-mirror' }).name).toBe('gh-mirror');
  });
});
