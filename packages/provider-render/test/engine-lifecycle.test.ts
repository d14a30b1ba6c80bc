import { createVector, type Vector, type VectorScope } from '@vector/core';
import { createMemoryStorage, describeEachDatabase } from '@vector/core/testing';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createRenderProvider } from '../src/index.js';
import { startFakeRenderApi, type FakeRenderApi } from './fake-render-api.js';
import { createGitMemoryStorage } from './git-memory-storage.js';
import { startInOrganization } from '../../../test-support/engine-in-organization.js';

const files = (marker: string) => [
  { path: 'package.json', content: '{"name":"shop","scripts":{"start":"node server.js"}}\n' },
  { path: 'server.js', content: `require('http').createServer((_, res) => res.end(${JSON.stringify(marker)})).listen(process.env.PORT);\n` },
];

describeEachDatabase('Render provider through the engine', (database) => {
  let fake: FakeRenderApi;
  let vector: Vector;
  let scope: VectorScope;
  let offset = 0;
  let cleanup: Array<() => Promise<void>> = [];

  beforeEach(async () => {
    fake = await startFakeRenderApi();
    const connection = await database.create();
    offset = 0;
    vector = createVector({
      database: connection,
      storage: [createGitMemoryStorage(), createMemoryStorage()],
      providers: [createRenderProvider({ apiKey: fake.apiKey, baseUrl: fake.baseUrl, retry: { maxRetries: 2, baseDelayMs: 1, maxDelayMs: 20 } })],
      deploymentPollIntervalMs: 5,
      deploymentMaxPollIntervalMs: 20,
      now: () => new Date(Date.now() + offset),
    });
    const started = await startInOrganization(vector, connection);
    scope = started.scope;
    cleanup = [started.stop, () => fake.close()];
  });
  afterEach(async () => {
    for (const step of cleanup) await step();
  });

  async function projectWithVersions() {
    const project = await scope.projects.create({ name: 'Shop' });
    const v1 = await scope.versions.create({ projectId: project.id, parentVersionId: null, files: files('first'), message: 'v1' });
    const v2 = await scope.versions.create({ projectId: project.id, parentVersionId: v1.id, files: files('second'), message: 'v2' });
    return { project, v1, v2 };
  }

  it('preview → live → expired → destroyed by the reaper, with logs stored and secrets kept out', async () => {
    const { project, v1 } = await projectWithVersions();
    const created = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview', env: { MODE: 'preview' }, secrets: { STRIPE_KEY: 'sk_live_never_shown' }, ttlSeconds: 120 });
    expect(created.provider).toBe('render');
    expect(created.providerDeploymentId).toMatch(/^render:preview:srv-/);
    const serviceId = created.providerDeploymentId?.split(':')[2] as string;
    expect(fake.services.get(serviceId)?.envVars.get('STRIPE_KEY')).toBe('sk_live_never_shown');

    const live = await scope.deployments.waitForDeployment(created.id, { timeoutMs: 20_000 });
    expect(live).toMatchObject({ status: 'live', providerStatus: 'live', url: expect.stringMatching(/^https:\/\/vector-shop-pr-[0-9a-f]{10}-[0-9a-f]{4}\.onrender\.com$/) });
    expect(live.envKeys).toEqual(['MODE', 'STRIPE_KEY']);
    await scope.deployments.refresh(created.id);
    const logs = await scope.deployments.listLogs(created.id);
    expect(logs.map((entry) => entry.message)).toEqual(expect.arrayContaining([expect.stringContaining('Cloning'), expect.stringContaining('is live')]));
    expect(logs.map((entry) => entry.sequence)).toEqual(logs.map((_, index) => index + 1));
    expect(new Set(logs.map((entry) => entry.message)).size).toBe(logs.length);
    expect(JSON.stringify([live, logs])).not.toContain('sk_live_never_shown');

    // One preview per (project, version): asking again reuses the Render service.
    const again = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    expect(again.id).toBe(created.id);
    expect(fake.count('POST', /^\/v1\/services$/)).toBe(1);

    expect(await vector.reapExpiredPreviews()).toBe(0);
    // The reuse above extended the preview to the default 24 h lifetime.
    offset += 121_000;
    expect(await vector.reapExpiredPreviews()).toBe(0);
    offset += 86_400_000;
    expect(await vector.reapExpiredPreviews()).toBe(1);
    expect((await scope.deployments.get(created.id)).status).toBe('destroyed');
    expect(fake.services.has(serviceId)).toBe(false);
  });

  it('production: publish v1, publish v2 (v1 serves until v2 is live), roll back by redeploying v1', async () => {
    const { project, v1, v2 } = await projectWithVersions();
    fake.setPollsPerStep(2);
    const first = await scope.versions.publish({ projectId: project.id, versionId: v1.id, deploy: {} });
    const firstLive = await scope.deployments.waitForDeployment(first.deployment?.id as string, { timeoutMs: 20_000 });
    expect(firstLive.status).toBe('live');
    const serviceId = firstLive.providerDeploymentId?.split(':')[2] as string;

    const second = await scope.versions.publish({ projectId: project.id, versionId: v2.id, deploy: {} });
    const secondId = second.deployment?.id as string;
    expect(second.deployment?.providerDeploymentId?.split(':')[2]).toBe(serviceId);
    // Not live yet: the first deployment is still up.
    expect((await scope.deployments.get(secondId)).status).not.toBe('live');
    expect((await scope.deployments.get(firstLive.id)).status).toBe('live');
    const secondLive = await scope.deployments.waitForDeployment(secondId, { timeoutMs: 20_000 });
    expect(secondLive.status).toBe('live');
    expect(secondLive.url).toBe(firstLive.url); // one production service, one stable URL
    expect((await scope.deployments.get(firstLive.id)).status).toBe('destroyed');
    expect(fake.services.has(serviceId)).toBe(true);

    const rollback = await scope.versions.publish({ projectId: project.id, versionId: v1.id, deploy: {} });
    const rolledBack = await scope.deployments.waitForDeployment(rollback.deployment?.id as string, { timeoutMs: 20_000 });
    expect(rolledBack.status).toBe('live');
    expect((await scope.deployments.get(secondLive.id)).status).toBe('destroyed');
    const deploys = fake.services.get(serviceId)?.deploys.map((entry) => entry.deploy) ?? [];
    expect(deploys[0]?.commit?.id).toBe(deploys.find((deploy) => deploy.id === firstLive.providerDeploymentId?.split(':')[3])?.commit?.id);
    const production = await scope.deployments.list({ projectId: project.id, environment: 'production', status: 'live' });
    expect(production.items.map((deployment) => deployment.id)).toEqual([rolledBack.id]);
  });

  it('a failed build ends failed with Render’s status; a Render outage ends failed, not stuck', async () => {
    const { project, v1, v2 } = await projectWithVersions();
    fake.failNextBuilds(2); // the branch-head build Render starts on create, and ours
    const failing = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    const failed = await scope.deployments.waitForDeployment(failing.id, { timeoutMs: 20_000 });
    expect(failed).toMatchObject({ status: 'failed', providerStatus: 'build_failed', error: { code: 'RENDER_BUILD_FAILED' } });

    fake.failNextRequests(1000, 503);
    const outage = await scope.deployments.create({ projectId: project.id, versionId: v2.id, environment: 'preview' });
    fake.failNextRequests(0);
    expect(outage.status).toBe('failed');
    expect(outage.error).toMatchObject({ code: 'PROVIDER_ERROR', message: expect.stringContaining('503') });
  });

  it('a preview whose service disappears on Render is reported failed', async () => {
    const { project, v1 } = await projectWithVersions();
    fake.setPollsPerStep(1000);
    const created = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    fake.deleteService(created.providerDeploymentId?.split(':')[2] as string);
    const settled = await scope.deployments.waitForDeployment(created.id, { timeoutMs: 20_000 });
    expect(settled).toMatchObject({ status: 'failed', error: { code: 'RENDER_NOT_FOUND' } });
  });

  it('a Git-less storage gets a typed error naming the alternative', async () => {
    const project = await scope.projects.create({ name: 'Files only', storageBackend: 'memory' });
    const version = await scope.versions.create({ projectId: project.id, parentVersionId: null, files: files('x'), message: 'v1' });
    const deployment = await scope.deployments.create({ projectId: project.id, versionId: version.id, environment: 'preview' });
    expect(deployment).toMatchObject({ status: 'failed', error: { code: 'UNSUPPORTED', message: expect.stringContaining('@vector/storage-github') } });
    expect(fake.count('POST', /^\/v1\/services$/)).toBe(0);
  });
});
