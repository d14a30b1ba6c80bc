import { createMemoryStorage, createVector, type GitSource, type VectorScope } from '@vector/core';
import { describeEachDatabase } from '@vector/core/testing';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startInOrganization } from '../../../test-support/engine-in-organization.js';
import { createGitOnlyProvider } from '../../../test-support/git-only-provider.js';
import type { FakeRepository } from './fake-github/fake-github-server.js';
import { fakeMirror, useFakeGitHub } from './storage-fixture.js';

const fake = useFakeGitHub();

describeEachDatabase('engine with the GitHub source mirror', (database) => {
  let scope: VectorScope;
  let built: GitSource[];
  let stop: () => Promise<void>;
  beforeEach(async () => {
    const connection = await database.create();
    const git = createGitOnlyProvider();
    built = git.built;
    const vector = createVector({ database: connection, storage: [createMemoryStorage()], providers: [git.provider], sourceMirror: fakeMirror(fake, { scope: 'organization' }) });
    ({ scope, stop } = await startInOrganization(vector, connection, { type: 'user', id: 'u1' }));
  });
  afterEach(() => stop());

  it('deploys versions of memory storage from mirrored commits, publishing each version once', async () => {
    const project = await scope.projects.create({ name: 'Shop' });
    const v1 = await scope.versions.create({ projectId: project.id, parentVersionId: null, files: [{ path: 'index.html', content: '<h1>v1</h1>' }], message: 'first' });
    const preview = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    expect(preview.status).toBe('live');
    const repo = fake.repository('acme', `vector-${project.organizationId}`) as FakeRepository;
    const [source] = built;
    expect(source).toEqual({ repositoryUrl: `${fake.url}/acme/vector-${project.organizationId}`, owner: 'acme', repository: `vector-${project.organizationId}`, branch: `vector/${project.id}`, commitSha: repo.refs.get(`refs/heads/vector/${project.id}`) });

    // The same version again: the stored commit, not a single request to GitHub.
    fake.requests.length = 0;
    const published = await scope.versions.publish({ projectId: project.id, versionId: v1.id, deploy: {} });
    expect(published.deployment?.status).toBe('live');
    expect(built[1]).toEqual(source);
    expect(fake.requests).toEqual([]);

    // The next version builds on it, and moves the branch.
    const v2 = await scope.versions.create({ projectId: project.id, parentVersionId: v1.id, changes: [{ type: 'write', path: 'index.html', content: '<h1>v2</h1>' }], message: 'second' });
    await scope.deployments.create({ projectId: project.id, versionId: v2.id, environment: 'preview' });
    const next = built[2] as GitSource;
    expect(repo.objects.commit(next.commitSha)?.parents).toEqual([source?.commitSha]);
    expect(repo.refs.get(`refs/heads/vector/${project.id}`)).toBe(next.commitSha);
    const tree = repo.objects.flatten(repo.objects.commit(next.commitSha)?.tree ?? '');
    expect(repo.objects.blob(tree.get('index.html')?.sha ?? '')?.toString('utf8')).toBe('<h1>v2</h1>');
  });
});
