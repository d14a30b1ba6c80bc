import { ForbiddenError, NotFoundError, type StorageProject } from '@vector/core';
import { describe, expect, it } from 'vitest';
import type { RepositoryAuthorizationRequest } from '../src/index.js';
import { author, fakeStorage, newProject, useFakeGitHub, write } from './storage-fixture.js';

const fake = useFakeGitHub();

/** A project of organization 1 with one published version holding a secret. */
async function victimWithSecret() {
  const storage = fakeStorage(fake);
  const victim = newProject();
  await storage.createProject?.({ project: victim });
  const { ref } = await storage.saveVersion({ project: victim, parentRef: null, changes: [write('.env', 'STRIPE_KEY=sk_live_x')], message: 'v1', author });
  await storage.finalizeVersion({ project: victim, ref, parentRef: null });
  return { victim, ref, repository: `my-app-${victim.id}` };
}

describe('repository tenancy', () => {
  it('by default refuses a project whose settings name another repository, before any request', async () => {
    const { ref, repository } = await victimWithSecret();
    const storage = fakeStorage(fake);
    const attacker: StorageProject = { ...newProject({ repository }), organizationId: 'other-org' };
    fake.requests.length = 0;
    await expect(storage.getFiles({ project: attacker, ref })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(storage.listFiles({ project: attacker, ref })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(storage.getFile({ project: attacker, ref, path: '.env' })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(storage.diffVersions({ project: attacker, fromRef: null, toRef: ref })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(storage.describeGitSource({ project: attacker, ref })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(storage.saveVersion({ project: attacker, parentRef: ref, changes: [write('index.js', 'steal()')], message: 'x', author })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(storage.finalizeVersion({ project: attacker, ref, parentRef: null })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(storage.createProject?.({ project: attacker })).rejects.toBeInstanceOf(ForbiddenError);
    // Another owner is refused just the same.
    await expect(storage.listFiles({ project: newProject({ owner: 'other-org' }), ref })).rejects.toBeInstanceOf(ForbiddenError);
    expect(fake.requests).toEqual([]);
  });

  it('allows settings that spell out the repository the backend names anyway', async () => {
    const storage = fakeStorage(fake);
    const base = newProject();
    const project = { ...base, settings: { owner: 'acme', repository: `my-app-${base.id}`, branch: 'work' } };
    await storage.createProject?.({ project });
    const { ref } = await storage.saveVersion({ project, parentRef: null, changes: [write('a.txt', 'a')], message: 'v1', author });
    await storage.finalizeVersion({ project, ref, parentRef: null });
    expect(fake.repository('acme', `my-app-${base.id}`)?.refs.get('refs/heads/work')).toBe(ref);
  });

  it('with allowProjectRepositories, asks authorizeRepository for settings and for import sources', async () => {
    const { ref, repository } = await victimWithSecret();
    const asked: RepositoryAuthorizationRequest[] = [];
    const storage = fakeStorage(fake, {
      allowProjectRepositories: true,
      authorizeRepository: async (request) => {
        asked.push(request);
        return request.project.organizationId === 'org-1';
      },
    });
    const attacker: StorageProject = { ...newProject({ repository }), organizationId: 'other-org' };
    await expect(storage.getFiles({ project: attacker, ref })).rejects.toBeInstanceOf(ForbiddenError);
    expect(asked).toEqual([{ project: attacker, owner: 'acme', repository, purpose: 'settings' }]);
    const own = newProject();
    await storage.createProject?.({ project: own });
    await expect(storage.importRepository({ project: { ...own, organizationId: 'other-org' }, owner: 'acme', repository })).rejects.toBeInstanceOf(ForbiddenError);
    expect(asked.at(-1)).toMatchObject({ owner: 'acme', repository, purpose: 'import' });
  });

  it('refuses importRepository from another repository unless allowed', async () => {
    const { repository } = await victimWithSecret();
    const storage = fakeStorage(fake);
    const project = newProject();
    await storage.createProject?.({ project });
    await expect(storage.importRepository({ project, owner: 'acme', repository })).rejects.toBeInstanceOf(ForbiddenError);
  });

  it("never reads or publishes another project's version, even in a shared repository", async () => {
    fake.createRepository('acme', 'monorepo', { autoInit: true });
    const storage = fakeStorage(fake, { allowProjectRepositories: true });
    const first = newProject({ repository: 'monorepo', branch: 'first' });
    const second = newProject({ repository: 'monorepo', branch: 'second' });
    const { ref } = await storage.saveVersion({ project: first, parentRef: null, changes: [write('secret.txt', 'first only')], message: 'v1', author });
    await storage.finalizeVersion({ project: first, ref, parentRef: null });
    expect((await storage.listFiles({ project: first, ref })).map((file) => file.path)).toEqual(['secret.txt']);
    await expect(storage.listFiles({ project: second, ref })).rejects.toBeInstanceOf(NotFoundError);
    await expect(storage.getFiles({ project: second, ref })).rejects.toBeInstanceOf(NotFoundError);
    await expect(storage.getFile({ project: second, ref, path: 'secret.txt' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(storage.describeGitSource({ project: second, ref })).rejects.toBeInstanceOf(NotFoundError);
    await expect(storage.diffVersions({ project: second, fromRef: null, toRef: ref })).rejects.toBeInstanceOf(NotFoundError);
    await expect(storage.saveVersion({ project: second, parentRef: ref, changes: [write('b.txt', 'b')], message: 'v2', author })).rejects.toBeInstanceOf(NotFoundError);
    await expect(storage.finalizeVersion({ project: second, ref, parentRef: null })).rejects.toBeInstanceOf(NotFoundError);
    expect(fake.repository('acme', 'monorepo')?.refs.has('refs/heads/second')).toBe(false);
  });
});
