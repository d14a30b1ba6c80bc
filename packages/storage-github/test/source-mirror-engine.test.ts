import { createMemoryStorage, createVector, defineDeploymentProvider, type GitSource, UnsupportedError, type Vector, type VectorScope } from '@vector/core';
import { describeEachDatabase } from '@vector/core/testing';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { FakeGitHub, type FakeRepository } from './fake-github/fake-github-server.js';
import { fakeMirror } from './storage-fixture.js';

const fake = new FakeGitHub();
beforeAll(() => fake.start());
afterAll(() => fake.close());

// Builds git commits only, like Railway and Render; records what it was asked to build.
function createGitOnlyProvider(built: GitSource[]) {
  let counter = 0;
  return defineDeploymentProvider({
    specificationVersion: 'v1',
    name: 'git-only',
    capabilities: { environments: ['preview', 'production'], sources: ['git'], logs: false },
    deploy: async ({ source }) => {
      if (!source.git) throw new UnsupportedError({ message: 'git-only builds git commits only' });
      built.push(source.git);
      counter += 1;
      return { providerDeploymentId: `git-${counter}`, status: 'live', providerStatus: 'LIVE', url: `https://git-${counter}.example` };
    },
    getStatus: async ({ providerDeploymentId }) => ({ providerDeploymentId, status: 'live', providerStatus: 'LIVE', url: `https://${providerDeploymentId}.example` }),
    getLogs: async () => ({ entries: [], cursor: null }),
    getUrl: async ({ providerDeploymentId }) => `https://${providerDeploymentId}.example`,
    destroy: async () => undefined,
  });
}

describeEachDatabase('engine with the GitHub source mirror', (database) => {
  let vector: Vector;
  let scope: VectorScope;
  let built: GitSource[];
  let destroy: () => Promise<void>;
  beforeEach(async () => {
    const connection = await database.create();
    built = [];
    vector = createVector({ database: connection, storage: [createMemoryStorage()], providers: [createGitOnlyProvider(built)], sourceMirror: fakeMirror(fake, { scope: 'organization' }) });
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
