import { createVector, defineStorageBackend, sha256Hex, type StorageBackend, type Vector, type VectorScope } from '@vector/core';
import { createMemoryStorage, describeEachDatabase } from '@vector/core/testing';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { createRailwayProvider } from '../src/index.js';
import { startFakeRailway, type FakeRailway } from './fake-railway-api.js';
import { startInOrganization } from '../../../test-support/engine-in-organization.js';

// Memory storage that presents each version as a commit of a GitHub repository, the way
// @vector/storage-github does; the commit is "pushed" to the fake's repo when described.
function createGitBackedStorage(fake: FakeRailway): StorageBackend {
  const inner = createMemoryStorage({ name: 'memory-git' });
  return defineStorageBackend({
    ...inner,
    capabilities: { ...inner.capabilities, gitSource: true },
    async describeGitSource({ ref }) {
      const commitSha = sha256Hex(ref).slice(0, 40);
      fake.addRepo('acme/app', [commitSha]);
      return { repositoryUrl: 'https://github.com/acme/app', owner: 'acme', repository: 'app', branch: 'main', commitSha };
    },
  });
}

const files = (marker: string) => [
  { path: 'package.json', content: `{"name":"app","version":"${marker}","scripts":{"start":"node server.js"}}\n` },
  { path: 'server.js', content: `require('http').createServer((q, s) => s.end(${JSON.stringify(marker)})).listen(process.env.PORT);\n` },
];

describeEachDatabase('railway provider through the engine', (database) => {
  // One fake per database run: tests count the services of the workspace.
  let fake: FakeRailway;
  beforeAll(async () => {
    fake = await startFakeRailway();
  });
  afterAll(async () => {
    await fake.close();
  });
  let vector: Vector;
  let scope: VectorScope;
  let connection: Awaited<ReturnType<typeof database.create>>;
  let offset = 0;
  let cleanup: Array<() => Promise<void>> = [];

  beforeEach(async () => {
    connection = await database.create();
    offset = 0;
    fake.setSlowBuilds(0);
    vector = createVector({
      database: connection,
      storage: [createGitBackedStorage(fake)],
      providers: [createRailwayProvider({ token: fake.token, baseUrl: fake.url, workspaceId: fake.workspaceId, retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 20 } })],
      deploymentPollIntervalMs: 5,
      now: () => new Date(Date.now() + offset),
    });
    const started = await startInOrganization(vector, connection);
    scope = started.scope;
    cleanup = [started.stop];
  });
  afterEach(async () => {
    for (const step of cleanup) await step();
    cleanup = [];
  });

  async function projectWithVersions() {
    const project = await scope.projects.create({ name: 'Site' });
    const v1 = await scope.versions.create({ projectId: project.id, parentVersionId: null, files: files('v1'), message: 'v1' });
    const v2 = await scope.versions.create({ projectId: project.id, parentVersionId: v1.id, files: files('v2'), message: 'v2' });
    return { project, v1, v2 };
  }
  const serviceExists = (url: string | null) => [...fake.services.values()].some((service) => service.domains.some((domain) => url === `https://${domain.domain}`));

  it('preview: pending → live with URL and logs → reused → expired → destroyed by the reaper', async () => {
    const { project, v1 } = await projectWithVersions();
    const created = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview', env: { MODE: 'preview' }, secrets: { API_KEY: 'super-secret-value' }, ttlSeconds: 120 });
    expect(created.status).toBe('pending');
    expect(created.provider).toBe('railway');
    const live = await scope.deployments.waitForDeployment(created.id, { timeoutMs: 20_000 });
    expect(live.status).toBe('live');
    expect(live.providerStatus).toBe('SUCCESS');
    expect(live.url).toMatch(/^https:\/\/vector-preview-.+\.up\.railway\.app$/);
    expect(serviceExists(live.url)).toBe(true);
    const logs = await scope.deployments.listLogs(created.id);
    expect(logs.map((log) => log.message)).toContain('npm install');
    expect(logs.map((log) => log.sequence)).toEqual(logs.map((_, index) => index + 1));
    expect(JSON.stringify([live, logs])).not.toContain('super-secret-value');

    const services = fake.services.size;
    const again = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview', ttlSeconds: 120 });
    expect(again.id).toBe(created.id);
    expect(fake.services.size).toBe(services);

    expect(await vector.reapExpiredPreviews()).toBe(0);
    offset += 121_000;
    expect(await vector.reapExpiredPreviews()).toBe(1);
    const destroyed = await scope.deployments.get(created.id);
    expect(destroyed.status).toBe('destroyed');
    expect(serviceExists(live.url)).toBe(false);
  });

  it('production: one service and URL; v1 serves until v2 is live, then Railway removes it; rollback redeploys v1 there', async () => {
    const { project, v1, v2 } = await projectWithVersions();
    const first = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'production', env: { MODE: 'production' } });
    const firstLive = await scope.deployments.waitForDeployment(first.id, { timeoutMs: 20_000 });
    expect(firstLive.status).toBe('live');
    expect(firstLive.expiresAt).toBeNull();
    expect(firstLive.url).toMatch(/^https:\/\/vector-production-.+\.up\.railway\.app$/);
    const productionServices = () => [...fake.services.values()].filter((service) => service.name.startsWith('vector-production-'));
    expect(productionServices()).toHaveLength(1);

    fake.setSlowBuilds(3);
    const second = await scope.deployments.create({ projectId: project.id, versionId: v2.id, environment: 'production' });
    const building = await scope.deployments.refresh(second.id);
    expect(['pending', 'building']).toContain(building.status);
    expect((await scope.deployments.get(first.id)).status).toBe('live');
    const statusOf = (deploymentId: string) => fake.deployments.get(deploymentId)?.script[fake.deployments.get(deploymentId)?.step ?? 0];
    const railwayIdOf = (row: { providerDeploymentId: string | null }) => JSON.parse(Buffer.from(String(row.providerDeploymentId).slice(4), 'base64url').toString('utf8')).deploymentId as string;
    expect(statusOf(railwayIdOf(firstLive))).toBe('SUCCESS');

    const secondLive = await scope.deployments.waitForDeployment(second.id, { timeoutMs: 20_000 });
    expect(secondLive.status).toBe('live');
    expect(secondLive.url).toBe(firstLive.url);
    expect(statusOf(railwayIdOf(firstLive))).toBe('REMOVED');
    // Core retired v1; the shared service keeps serving v2.
    expect((await scope.deployments.get(first.id)).status).toBe('destroyed');
    expect(productionServices()).toHaveLength(1);
    expect(serviceExists(secondLive.url)).toBe(true);

    fake.setSlowBuilds(0);
    const rollback = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'production' });
    expect(rollback.id).not.toBe(first.id);
    const rolledBack = await scope.deployments.waitForDeployment(rollback.id, { timeoutMs: 20_000 });
    expect(rolledBack.status).toBe('live');
    expect(rolledBack.versionId).toBe(v1.id);
    expect(rolledBack.url).toBe(firstLive.url);
    expect(fake.deployments.get(railwayIdOf(rolledBack))?.commitSha).toBe(fake.deployments.get(railwayIdOf(firstLive))?.commitSha);
    expect((await scope.deployments.get(second.id)).status).toBe('destroyed');
    expect(productionServices()).toHaveLength(1);
    const live = await scope.deployments.list({ projectId: project.id, environment: 'production', status: 'live' });
    expect(live.items.map((item) => item.id)).toEqual([rollback.id]);
  });

  it('a failing build ends failed with the platform status; an outage ends failed, never stuck', async () => {
    const { project, v1, v2 } = await projectWithVersions();
    fake.failNextBuild();
    const broken = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    const failed = await scope.deployments.waitForDeployment(broken.id, { timeoutMs: 20_000 });
    expect(failed.status).toBe('failed');
    expect(failed.error?.code).toBe('RAILWAY_FAILED');
    expect((await scope.deployments.listLogs(broken.id)).some((log) => log.level === 'error')).toBe(true);

    fake.failNext(1000, 503);
    try {
      const outage = await scope.deployments.create({ projectId: project.id, versionId: v2.id, environment: 'production' });
      expect(outage.status).toBe('failed');
      expect(outage.error?.code).toBe('PROVIDER_ERROR');
    } finally {
      fake.failNext(0);
    }
  });

  it('raw-file storage is refused with an error naming the alternative', async () => {
    // A second engine on the same metadata store, with storage that has no git source.
    const plain = createVector({ database: connection, storage: [createMemoryStorage()], providers: [createRailwayProvider({ token: fake.token, baseUrl: fake.url })] });
    try {
      const actor = { type: 'user' as const, id: 'user-1' };
      const organization = await plain.organizations.create({ name: 'Plain' }, actor);
      const plainScope = plain.scope({ organizationId: organization.id, actor });
      const project = await plainScope.projects.create({ name: 'Files' });
      const version = await plainScope.versions.create({ projectId: project.id, parentVersionId: null, files: files('v1'), message: 'v1' });
      const deployment = await plainScope.deployments.create({ projectId: project.id, versionId: version.id, environment: 'preview' });
      expect(deployment.status).toBe('failed');
      expect(deployment.error?.code).toBe('UNSUPPORTED');
      expect(deployment.error?.message).toContain('@vector/storage-github');
    } finally {
      await plain.stop();
    }
  });
});
