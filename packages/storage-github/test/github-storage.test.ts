import { ConflictError, encodeText, type FileChange, LimitExceededError, ProviderError, type StorageProject, ValidationError, VectorError, decodeText } from '@vector/core';
import { describe, expect, it } from 'vitest';
import { GITHUB_MAX_FILE_BYTES, type GitHubStorage, gitBlobSha } from '../src/index.js';
import { author, fakeStorage, newProject, rejection, useFakeGitHub, write } from './storage-fixture.js';

const fake = useFakeGitHub({ clearEachTest: true });

/** Both phases, as the engine runs them once the version is recorded. */
async function publish(storage: GitHubStorage, input: { project: StorageProject; parentRef: string | null; changes: FileChange[]; message: string }): Promise<string> {
  const { ref } = await storage.saveVersion({ ...input, author });
  await storage.finalizeVersion({ project: input.project, ref, parentRef: input.parentRef });
  return ref;
}

/** A backend and a created project whose repository's main holds version 1 (a.txt), published. */
async function withVersion1() {
  const storage = fakeStorage(fake);
  const project = newProject();
  await storage.createProject?.({ project });
  const v1 = await publish(storage, { project, parentRef: null, changes: [write('a.txt', 'a')], message: 'v1' });
  const repo = fake.repository('acme', `my-app-${project.id}`);
  if (!repo) throw new Error('no repo');
  return { storage, project, v1, repo };
}

describe('createProject', () => {
  it('creates a private org repository with an initial commit, and is idempotent', async () => {
    const storage = fakeStorage(fake);
    const project = newProject();
    await storage.createProject?.({ project });
    await storage.createProject?.({ project });
    const repo = fake.repository('acme', `my-app-${project.id}`);
    expect(repo?.private).toBe(true);
    expect(repo?.refs.get('refs/heads/main')).toMatch(/^[0-9a-f]{40}$/);
    expect(fake.requests.filter((request) => request.method === 'POST' && request.path === '/orgs/acme/repos')).toHaveLength(1);
    expect(fake.requests.find((request) => request.path === '/orgs/acme/repos')?.body).toMatchObject({ auto_init: true, private: true });
  });

  it('treats "name already exists" from a concurrent creator as success', async () => {
    const storage = fakeStorage(fake);
    const project = newProject();
    fake.beforeNext((method, path) => method === 'POST' && path === '/orgs/acme/repos', () => fake.createRepository('acme', `my-app-${project.id}`, { autoInit: true }));
    await expect(storage.createProject?.({ project })).resolves.toBeUndefined();
  });

  it('refuses to create repositories when createRepositories is off', async () => {
    const storage = fakeStorage(fake, { createRepositories: false });
    expect(await rejection(storage.createProject?.({ project: newProject() }) ?? Promise.resolve())).toBeInstanceOf(ValidationError);
  });

  it('deletes repositories it named, never ones set in project settings', async () => {
    const storage = fakeStorage(fake);
    const project = newProject();
    await storage.createProject?.({ project });
    await storage.deleteProject?.({ project });
    await storage.deleteProject?.({ project });
    expect(fake.repository('acme', `my-app-${project.id}`)).toBeUndefined();
    fake.createRepository('acme', 'hand-made', { autoInit: true });
    const configured = newProject({ repository: 'hand-made' });
    await storage.deleteProject?.({ project: configured });
    expect(fake.repository('acme', 'hand-made')).toBeDefined();
  });
});

describe('saveVersion', () => {
  it('commits through blobs, a base_tree tree and a parented commit; finalize alone moves the branch', async () => {
    const storage = fakeStorage(fake);
    const project = newProject();
    await storage.createProject?.({ project });
    const initial = fake.repository('acme', `my-app-${project.id}`)?.refs.get('refs/heads/main');
    const logo = new Uint8Array([0, 1, 2, 3, 255]);
    const { ref: v1 } = await storage.saveVersion({ project, parentRef: null, changes: [write('a.txt', 'a'), write('b.txt', 'b'), write('copy-of-a.txt', 'a'), { type: 'write', path: 'logo.bin', content: logo }], message: 'v1', author });
    const repo = fake.repository('acme', `my-app-${project.id}`);
    // Saved, readable by its SHA, but not published until finalize.
    expect(repo?.refs.get('refs/heads/main')).toBe(initial);
    await storage.finalizeVersion({ project, ref: v1, parentRef: null });
    expect(repo?.refs.get('refs/heads/main')).toBe(v1);
    // The first version sits on auto_init's commit but keeps none of its files.
    expect(repo?.objects.commit(v1)?.parents).toEqual([initial]);
    expect((await storage.listFiles({ project, ref: v1 })).map((file) => file.path)).toEqual(['a.txt', 'b.txt', 'copy-of-a.txt', 'logo.bin']);
    // Binary content goes through create-blob; small text travels inline in the tree request.
    expect(fake.requests.filter((request) => request.path.endsWith('/git/blobs') && request.method === 'POST').map((request) => request.body)).toEqual([{ content: Buffer.from(logo).toString('base64'), encoding: 'base64' }]);

    fake.requests.length = 0;
    const logo2 = new Uint8Array([0, 9, 9, 9]);
    const changes = [write('a.txt', 'a'), write('b.txt', 'b2'), write('moved.txt', 'a'), { type: 'delete' as const, path: 'copy-of-a.txt' }, { type: 'write' as const, path: 'logo.bin', content: logo2 }];
    const { ref: v2 } = await storage.saveVersion({ project, parentRef: v1, changes, message: 'v2', author });
    const writes = fake.requests.filter((request) => request.method !== 'GET');
    const route = (request: { method: string; path: string }) => `${request.method} ${request.path.replace(/^\/repos\/[^/]+\/[^/]+/, '')}`;
    expect(writes.map(route)).toEqual(['POST /git/blobs', 'POST /git/trees', 'POST /git/commits']);
    expect(repo?.refs.get('refs/heads/main')).toBe(v1);
    const tree = writes[1]?.body as { base_tree: string; tree: unknown[] };
    expect(tree.base_tree).toBe(repo?.objects.commit(v1)?.tree);
    // a.txt is unchanged and not sent at all.
    expect(tree.tree).toEqual(
      expect.arrayContaining([
        { path: 'b.txt', mode: '100644', type: 'blob', content: 'b2' },
        // Same bytes as a.txt: no upload, the existing blob is reused.
        { path: 'moved.txt', mode: '100644', type: 'blob', sha: gitBlobSha(encodeText('a')) },
        { path: 'copy-of-a.txt', mode: '100644', type: 'blob', sha: null },
        { path: 'logo.bin', mode: '100644', type: 'blob', sha: gitBlobSha(logo2) },
      ]),
    );
    expect(tree.tree).toHaveLength(4);
    expect(writes[2]?.body).toMatchObject({ parents: [v1], author });
    fake.requests.length = 0;
    await storage.finalizeVersion({ project, ref: v2, parentRef: v1 });
    // The commit is read once to check it is this project's version before it is published.
    expect(fake.requests.map(route)).toEqual(['GET /git/ref/heads/main', `GET /git/commits/${v2}`, 'PATCH /git/refs/heads/main']);
    expect(fake.requests[2]?.body).toEqual({ sha: v2, force: false });
    expect(repo?.refs.get('refs/heads/main')).toBe(v2);
    expect(repo?.objects.commit(v2)?.message).toBe(`v2\n\nVector-Project: ${project.id}\n`);
    const files = await storage.getFiles({ project, ref: v2 });
    expect(files.map((file) => [file.path, Buffer.from(file.content).toString('hex')])).toEqual([
      ['a.txt', '61'],
      ['b.txt', '6232'],
      ['logo.bin', '00090909'],
      ['moved.txt', '61'],
    ]);
  });

  it('round-trips text with a BOM and CRLF exactly, and refuses a tree GitHub built differently', async () => {
    const storage = fakeStorage(fake);
    const project = newProject();
    await storage.createProject?.({ project });
    const tricky = Buffer.from('\uFEFFline one\r\nline two\r\n', 'utf8');
    const ref = await publish(storage, { project, parentRef: null, changes: [{ type: 'write', path: 'win.txt', content: new Uint8Array(tricky) }], message: 'v1' });
    expect(Buffer.from((await storage.getFile({ project, ref, path: 'win.txt' }))?.content ?? []).equals(tricky)).toBe(true);
    // A server that normalises inline content (here: trims it) must not get a commit.
    fake.inlineContentFilter = (content) => content.trim();
    const error = await rejection(storage.saveVersion({ project, parentRef: ref, changes: [write('note.txt', ' padded ')], message: 'v2', author }));
    fake.inlineContentFilter = null;
    expect(error).toMatchObject({ code: 'PROVIDER_ERROR', isRetryable: false });
    expect(fake.repository('acme', `my-app-${project.id}`)?.refs.get('refs/heads/main')).toBe(ref);
  });

  it('is a ConflictError when someone pushed after the last finalize, and the push survives', async () => {
    const { storage, project, v1, repo } = await withVersion1();
    const pushed = fake.commitFiles(repo, 'main', { 'theirs.txt': 'pushed' }, 'a push');
    const error = await rejection(storage.saveVersion({ project, parentRef: v1, changes: [write('a.txt', 'mine')], message: 'v2', author }));
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).details).toMatchObject({ expectedRef: v1, actualRef: pushed });
    expect(repo.refs.get('refs/heads/main')).toBe(pushed);
    expect(fake.requests.some((request) => request.method === 'POST' && request.path.endsWith('/git/commits') && (request.body as { message?: string }).message?.startsWith('v2'))).toBe(false);
  });

  it('finalize is a ConflictError when the branch moves between reading it and moving it (422 not a fast forward)', async () => {
    const { storage, project, v1, repo } = await withVersion1();
    let pushed = '';
    fake.beforeNext((method, path) => method === 'PATCH' && path.endsWith('/git/refs/heads/main'), () => {
      pushed = fake.commitFiles(repo, 'main', { 'race.txt': 'pushed' }, 'racing push');
    });
    const { ref: v2 } = await storage.saveVersion({ project, parentRef: v1, changes: [write('a.txt', 'mine')], message: 'v2', author });
    const error = await rejection(storage.finalizeVersion({ project, ref: v2, parentRef: v1 }));
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).cause).toMatchObject({ status: 422 });
    expect((error as ConflictError).details).toMatchObject({ ref: v2, expectedRef: v1, actualRef: pushed });
    expect(repo.refs.get('refs/heads/main')).toBe(pushed);
  });

  it('is a CancelledError when the signal is aborted, leaving the branch where it was', async () => {
    const storage = fakeStorage(fake);
    const project = newProject();
    await storage.createProject?.({ project });
    const before = fake.repository('acme', `my-app-${project.id}`)?.refs.get('refs/heads/main');
    const controller = new AbortController();
    fake.beforeNext((method, path) => method === 'POST' && path.endsWith('/git/trees'), () => controller.abort());
    const error = await rejection(storage.saveVersion({ project, parentRef: null, changes: [write('a.txt', 'a')], message: 'v1', author, signal: controller.signal }));
    expect(error).toMatchObject({ code: 'CANCELLED' });
    expect(fake.repository('acme', `my-app-${project.id}`)?.refs.get('refs/heads/main')).toBe(before);
  });

  it('refuses a second first version (null parent) once a version exists', async () => {
    const storage = fakeStorage(fake);
    const project = newProject();
    await storage.createProject?.({ project });
    // An unrecorded first version (a crash before the engine wrote it) does not block the retry.
    await storage.saveVersion({ project, parentRef: null, changes: [write('a.txt', 'lost')], message: 'lost', author });
    await publish(storage, { project, parentRef: null, changes: [write('a.txt', 'a')], message: 'v1' });
    expect(await rejection(storage.saveVersion({ project, parentRef: null, changes: [write('a.txt', 'b')], message: 'again', author }))).toBeInstanceOf(ConflictError);
  });

  it('finalize creates the branch when it does not exist yet (per-project owner/repository/branch settings)', async () => {
    const storage = fakeStorage(fake, { allowProjectRepositories: true });
    fake.createRepository('acme', 'shared', { autoInit: true });
    const project = newProject({ owner: 'acme', repository: 'shared', branch: 'vector/app' });
    await storage.createProject?.({ project });
    const { ref } = await storage.saveVersion({ project, parentRef: null, changes: [write('x.txt', 'x')], message: 'v1', author });
    const repo = fake.repository('acme', 'shared');
    expect(repo?.refs.has('refs/heads/vector/app')).toBe(false);
    // The commit exists before it is published, so a deployment can already build it.
    expect((await storage.describeGitSource({ project, ref })).commitSha).toBe(ref);
    await storage.finalizeVersion({ project, ref, parentRef: null });
    expect(repo?.refs.get('refs/heads/vector/app')).toBe(ref);
    expect(repo?.objects.commit(ref)?.parents).toEqual([]);
    expect(await storage.describeGitSource({ project, ref })).toEqual({ repositoryUrl: `${fake.url}/acme/shared`, owner: 'acme', repository: 'shared', branch: 'vector/app', commitSha: ref });
  });

  it('rejects traversal paths, file/directory clashes and oversize content before any request', async () => {
    const storage = fakeStorage(fake);
    const project = newProject();
    for (const path of ['../escape.txt', 'a/../../b', '/etc/passwd', 'a\\b', 'nul\u0000byte']) {
      expect(await rejection(storage.saveVersion({ project, parentRef: null, changes: [write(path, 'x')], message: 'bad', author }))).toBeInstanceOf(ValidationError);
    }
    const oversize = await rejection(storage.saveVersion({ project, parentRef: null, changes: [{ type: 'write', path: 'big.bin', content: new Uint8Array(GITHUB_MAX_FILE_BYTES + 1) }], message: 'big', author }));
    expect(oversize).toBeInstanceOf(LimitExceededError);
    expect((oversize as LimitExceededError).limit).toBe('file_size');
    expect(fake.requests).toHaveLength(0);
    await storage.createProject?.({ project });
    expect(await rejection(storage.saveVersion({ project, parentRef: null, changes: [write('a', 'file'), write('a/b', 'nested')], message: 'clash', author }))).toBeInstanceOf(ValidationError);
    expect(await rejection(storage.getFile({ project, ref: 'main', path: '../x' }))).toBeInstanceOf(ValidationError);
  });

  it('reports unknown refs as NotFoundError and an empty repository as a non-retryable ProviderError', async () => {
    const storage = fakeStorage(fake);
    const project = newProject();
    await storage.createProject?.({ project });
    await expect(storage.listFiles({ project, ref: 'f'.repeat(40) })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(storage.getFiles({ project, ref: 'not-a-sha' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    fake.createRepository('acme', 'empty-repo');
    const error = await rejection(fakeStorage(fake, { allowProjectRepositories: true }).saveVersion({ project: newProject({ repository: 'empty-repo' }), parentRef: null, changes: [write('a.txt', 'a')], message: 'v1', author }));
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).isRetryable).toBe(false);
    expect((error as ProviderError).status).toBe(409);
  });
});

describe('diffVersions', () => {
  async function twoVersions(changedFiles: number) {
    const storage = fakeStorage(fake, { concurrency: 8 });
    const project = newProject();
    await storage.createProject?.({ project });
    const base = Array.from({ length: changedFiles }, (_, index) => write(`src/f${index}.txt`, `line ${index}\nsame\n`));
    const { ref: v1 } = await storage.saveVersion({ project, parentRef: null, changes: [...base, write('gone.txt', 'bye\n'), write('old-name.txt', 'unique\n')], message: 'v1', author });
    const next = Array.from({ length: changedFiles }, (_, index) => write(`src/f${index}.txt`, `line ${index} changed\nsame\n`));
    const { ref: v2 } = await storage.saveVersion({ project, parentRef: v1, changes: [...next, { type: 'delete', path: 'gone.txt' }, { type: 'delete', path: 'old-name.txt' }, write('new-name.txt', 'unique\n')], message: 'v2', author });
    return { storage, project, v1, v2 };
  }

  it('uses compare when it is complete, and agrees with the tree walk', async () => {
    const { storage, project, v1, v2 } = await twoVersions(3);
    fake.requests.length = 0;
    const viaCompare = await storage.diffVersions({ project, fromRef: v1, toRef: v2 });
    expect(fake.requests.some((request) => request.path.includes('/compare/'))).toBe(true);
    expect(viaCompare.map((entry) => [entry.path, entry.status])).toEqual([
      ['gone.txt', 'deleted'],
      ['new-name.txt', 'renamed'],
      ['src/f0.txt', 'modified'],
      ['src/f1.txt', 'modified'],
      ['src/f2.txt', 'modified'],
    ]);
    expect(viaCompare[2]?.patch).toContain('--- a/src/f0.txt\n+++ b/src/f0.txt');
    // Reverse direction: compare answers "behind" (diffs against the merge base), so the tree walk runs.
    const reverse = await storage.diffVersions({ project, fromRef: v2, toRef: v1 });
    expect(reverse.map((entry) => [entry.path, entry.status])).toEqual([
      ['gone.txt', 'added'],
      ['old-name.txt', 'renamed'],
      ['src/f0.txt', 'modified'],
      ['src/f1.txt', 'modified'],
      ['src/f2.txt', 'modified'],
    ]);
    fake.injectFailure({ status: 404, match: (_method, path) => path.includes('/compare/') });
    expect(await storage.diffVersions({ project, fromRef: v1, toRef: v2 })).toEqual(viaCompare);
  });

  it('falls back to tree walks when compare hits its 300-file cap', async () => {
    const { storage, project, v1, v2 } = await twoVersions(305);
    fake.requests.length = 0;
    const diff = await storage.diffVersions({ project, fromRef: v1, toRef: v2 });
    expect(diff).toHaveLength(307);
    expect(diff.filter((entry) => entry.status === 'modified')).toHaveLength(305);
    expect(diff.find((entry) => entry.path === 'new-name.txt')).toMatchObject({ status: 'renamed', previousPath: 'old-name.txt' });
    const treeReads = fake.requests.filter((request) => request.method === 'GET' && request.path.includes('/git/trees/'));
    expect(treeReads.length).toBeGreaterThanOrEqual(2);
  });
});

describe('rate limits and retries', () => {
  async function saved() {
    const storage = fakeStorage(fake);
    const project = newProject();
    await storage.createProject?.({ project });
    const { ref } = await storage.saveVersion({ project, parentRef: null, changes: [write('a.txt', 'hello')], message: 'v1', author });
    fake.requests.length = 0;
    return { storage, project, ref };
  }
  const isBlobRead = (method: string, path: string) => method === 'GET' && path.includes('/git/blobs/');

  it.each([
    ['primary 403 (x-ratelimit-remaining: 0)', { kind: 'primary' as const, status: 403 as const }],
    ['primary 429', { kind: 'primary' as const, status: 429 as const }],
    ['secondary 403 with retry-after', { kind: 'secondary' as const, status: 403 as const, retryAfterSeconds: 2 }],
  ])('waits out a %s and succeeds', async (_name, injection) => {
    const { storage, project, ref } = await saved();
    fake.injectRateLimit({ ...injection, count: 2, match: isBlobRead });
    const file = await storage.getFile({ project, ref, path: 'a.txt' });
    expect(decodeText(file?.content ?? new Uint8Array())).toBe('hello');
    expect(fake.requests.filter((request) => isBlobRead(request.method, request.path))).toHaveLength(3);
  });

  it('throttles writes too: a secondary limit on the commit is retried', async () => {
    const { storage, project, ref } = await saved();
    fake.injectRateLimit({ kind: 'secondary', count: 1, match: (method, path) => method === 'POST' && path.endsWith('/git/commits') });
    const { ref: next } = await storage.saveVersion({ project, parentRef: ref, changes: [write('a.txt', 'again')], message: 'v2', author });
    expect(decodeText((await storage.getFile({ project, ref: next, path: 'a.txt' }))?.content ?? new Uint8Array())).toBe('again');
  });

  it('gives up after maxRetries with a retryable ProviderError carrying the wait hint', async () => {
    const { storage, project, ref } = await saved();
    fake.injectRateLimit({ kind: 'secondary', count: 10, retryAfterSeconds: 7, match: isBlobRead });
    const error = await rejection(storage.getFile({ project, ref, path: 'a.txt' }));
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ provider: 'github', status: 403, isRetryable: true, retryAfterMs: 7000 });
    expect(fake.requests.filter((request) => isBlobRead(request.method, request.path))).toHaveLength(3);
    expect(String((error as Error).message)).not.toContain('test-token');
  });

  it('gives up at once when the primary reset is further away than maxWaitSeconds', async () => {
    const { storage, project, ref } = await saved();
    fake.injectRateLimit({ kind: 'primary', count: 1, resetInSeconds: 3600, match: isBlobRead });
    const error = await rejection(storage.getFile({ project, ref, path: 'a.txt' }));
    expect(error).toMatchObject({ code: 'PROVIDER_ERROR', isRetryable: true });
    expect((error as ProviderError).retryAfterMs).toBeGreaterThan(3_500_000);
  });

  it('retries 5xx answers, and reports bad credentials as a non-retryable ProviderError', async () => {
    const { storage, project, ref } = await saved();
    fake.injectFailure({ status: 502, count: 2, match: isBlobRead });
    expect(await storage.getFile({ project, ref, path: 'a.txt' })).not.toBeNull();
    const wrong = fakeStorage(fake, { auth: { token: 'wrong-token' } });
    const error = await rejection(wrong.listFiles({ project, ref }));
    expect(VectorError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'PROVIDER_ERROR', status: 401, isRetryable: false });
    expect(String((error as Error).message)).not.toContain('wrong-token');
  });
});
