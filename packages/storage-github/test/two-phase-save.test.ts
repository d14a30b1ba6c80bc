import { ConflictError, encodeText, NotFoundError } from '@vector/core';
import { describe, expect, it } from 'vitest';
import type { FakeRepository } from './fake-github/fake-github-server.js';
import { author, fakeStorage, newProject, rejection, useFakeGitHub, write } from './storage-fixture.js';

const fake = useFakeGitHub({ clearEachTest: true });

/** A backend, a created project and its repository in the fake. */
async function setup(settings: Record<string, unknown> = {}) {
  const storage = fakeStorage(fake, { allowProjectRepositories: settings.repository !== undefined });
  const project = newProject(settings);
  await storage.createProject?.({ project });
  const repo = [...fake.repositories.values()].find((candidate) => candidate.name === (settings.repository ?? `my-app-${project.id}`)) as FakeRepository;
  const save = async (parentRef: string | null, content: string) => (await storage.saveVersion({ project, parentRef, changes: [write('app.txt', content)], message: content, author })).ref;
  const finalize = (ref: string, parentRef: string | null) => storage.finalizeVersion({ project, ref, parentRef });
  const head = (branch = 'main') => repo.refs.get(`refs/heads/${branch}`);
  return { storage, project, repo, save, finalize, head };
}

const compareRequests = () => fake.requests.filter((request) => request.path.includes('/compare/'));

describe('two-phase saves', () => {
  it('recovers from a crash between recording a version and finalizing it', async () => {
    const { repo, save, finalize, head, storage, project } = await setup();
    const v1 = await save(null, 'v1');
    await finalize(v1, null);
    // The crash: v2 is saved (and, in the engine, recorded) but never finalized.
    const v2 = await save(v1, 'v2');
    expect(head()).toBe(v1);
    fake.requests.length = 0;
    const v3 = await save(v2, 'v3');
    // A one-version gap is answered by v2's own parent list, without a compare.
    expect(compareRequests()).toHaveLength(0);
    await finalize(v3, v2);
    expect(head()).toBe(v3);
    expect(repo.objects.commit(v3)?.parents).toEqual([v2]);
    expect(repo.objects.ancestors(v3).has(v2)).toBe(true);
    expect((await storage.getFile({ project, ref: v2, path: 'app.txt' }))?.content).toEqual(encodeText('v2'));
  });

  it('builds on a longer run of unpublished versions with one compare', async () => {
    const { save, finalize, head } = await setup();
    const v1 = await save(null, 'v1');
    await finalize(v1, null);
    const v2 = await save(v1, 'v2');
    const v3 = await save(v2, 'v3');
    const v4 = await save(v3, 'v4');
    fake.requests.length = 0;
    const v5 = await save(v4, 'v5');
    expect(compareRequests().map((request) => request.path.split('/compare/')[1])).toEqual([`${v1}...${v4}`]);
    await finalize(v5, v4);
    expect(head()).toBe(v5);
  });

  it('builds on an unpublished first version whose branch does not exist yet, and finalize creates it', async () => {
    fake.createRepository('acme', 'two-phase-shared', { autoInit: true });
    const { save, finalize, head, repo } = await setup({ repository: 'two-phase-shared', branch: 'vector/app' });
    const v1 = await save(null, 'v1');
    const v2 = await save(v1, 'v2');
    expect(repo.refs.has('refs/heads/vector/app')).toBe(false);
    await finalize(v2, v1);
    expect(head('vector/app')).toBe(v2);
    expect(repo.objects.commit(v2)?.parents).toEqual([v1]);
  });

  it('refuses to save on a version when someone pushed after its finalize; the push survives', async () => {
    const { repo, save, finalize, head } = await setup();
    const v1 = await save(null, 'v1');
    await finalize(v1, null);
    const pushed = fake.commitFiles(repo, 'main', { 'hotfix.txt': 'by hand' }, 'hotfix');
    const error = await rejection(save(v1, 'v2'));
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).details).toMatchObject({ expectedRef: v1, actualRef: pushed, branch: 'main' });
    expect(head()).toBe(pushed);
    // Nothing was written for the refused version.
    expect(fake.requests.some((request) => request.method === 'POST' && request.path.endsWith('/git/commits') && String((request.body as { message?: string }).message).startsWith('v2'))).toBe(false);
  });

  it('refuses to save on an unpublished version when someone pushed on the published one', async () => {
    const { repo, save, finalize } = await setup();
    const v1 = await save(null, 'v1');
    await finalize(v1, null);
    const v2 = await save(v1, 'v2');
    fake.commitFiles(repo, 'main', { 'hotfix.txt': 'by hand' }, 'hotfix');
    // The pushed commit is not in v2's history: compare says diverged.
    expect(await rejection(save(v2, 'v3'))).toBeInstanceOf(ConflictError);
    expect(compareRequests().length).toBeGreaterThan(0);
  });

  it('finalize is a ConflictError after a push between save and finalize, and keeps the push', async () => {
    const { repo, save, finalize, head } = await setup();
    const v1 = await save(null, 'v1');
    await finalize(v1, null);
    const v2 = await save(v1, 'v2');
    const pushed = fake.commitFiles(repo, 'main', { 'hotfix.txt': 'by hand' }, 'hotfix');
    const error = await rejection(finalize(v2, v1));
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).details).toMatchObject({ ref: v2, expectedRef: v1, actualRef: pushed });
    expect((error as Error).message).toContain('Nothing was overwritten');
    expect(head()).toBe(pushed);
    expect(repo.objects.ancestors(pushed).has(v2)).toBe(false);
    // A retry is refused the same way; the push is never overwritten.
    expect(await rejection(finalize(v2, v1))).toBeInstanceOf(ConflictError);
    expect(head()).toBe(pushed);
  });

  it('finalize twice is harmless, and a late finalize never moves the branch back', async () => {
    const { save, finalize, head } = await setup();
    const v1 = await save(null, 'v1');
    await finalize(v1, null);
    await finalize(v1, null);
    expect(head()).toBe(v1);
    const v2 = await save(v1, 'v2');
    const v3 = await save(v2, 'v3');
    await finalize(v3, v2);
    fake.requests.length = 0;
    // v2's finalize arrives after v3's (a retry, a slow worker): v3 already contains v2.
    await finalize(v2, v1);
    expect(head()).toBe(v3);
    expect(fake.requests.filter((request) => request.method === 'PATCH')).toHaveLength(1);
    fake.requests.length = 0;
    await finalize(v3, v2);
    expect(fake.requests.map((request) => request.method)).toEqual(['GET']);
  });

  it('finalize retries a ref update that races with another finalize of an older version', async () => {
    fake.createRepository('acme', 'two-phase-race', { autoInit: true });
    const { save, finalize, head } = await setup({ repository: 'two-phase-race', branch: 'race' });
    const v1 = await save(null, 'v1');
    const v2 = await save(v1, 'v2');
    // Another worker publishes v1 (creating the branch) between our read and our create.
    fake.beforeNext((method, path) => method === 'POST' && path.endsWith('/git/refs'), () => {
      fake.repository('acme', 'two-phase-race')?.refs.set('refs/heads/race', v1);
    });
    await finalize(v2, v1);
    expect(head('race')).toBe(v2);
    // Create refused ("Reference already exists"), compare said behind, the fast-forward went through.
    expect(fake.requests.filter((request) => request.method !== 'GET').map((request) => `${request.method} ${request.path.split('/git/')[1]}`)).toEqual(expect.arrayContaining(['POST refs', 'PATCH refs/heads/race']));
    expect(compareRequests().map((request) => request.path.split('/compare/')[1])).toEqual([`${v2}...${v1}`]);
  });

  it('finalize reports unknown refs as NotFoundError and GitHub failures as ProviderError', async () => {
    const { save, finalize, head } = await setup();
    const v1 = await save(null, 'v1');
    expect(await rejection(finalize('not-a-sha', null))).toBeInstanceOf(NotFoundError);
    expect(await rejection(finalize('e'.repeat(40), null))).toBeInstanceOf(NotFoundError);
    fake.injectFailure({ status: 502, count: 10, match: (method) => method === 'PATCH' });
    expect(await rejection(finalize(v1, null))).toMatchObject({ code: 'PROVIDER_ERROR', status: 502, isRetryable: true });
    fake.injections.length = 0;
    await finalize(v1, null);
    expect(head()).toBe(v1);
  });
});
