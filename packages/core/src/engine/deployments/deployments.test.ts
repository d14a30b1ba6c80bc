import { expect, it } from 'vitest';
import { ProviderError } from '../../errors/provider-error.js';
import { defineDeploymentProvider } from '../../plugins/define-plugins.js';
import type { DeploymentProvider } from '../../plugins/deployment-provider.js';
import { createMemoryStorage, createStaticProvider } from '../../reference/index.js';
import { createVector } from '../create-vector.js';
import { describeEachDatabase } from '../../testing/test-databases.js';
import { sampleFiles, useEngine } from '../../testing/engine-fixture.js';

// A provider whose platform is down: every call fails with a retryable error.
function createDownProvider(): DeploymentProvider {
  const down = () => new ProviderError({ provider: 'down', message: 'Service Unavailable', status: 503, retryAfterMs: 1 });
  return defineDeploymentProvider({
    specificationVersion: 'v1',
    name: 'down',
    capabilities: { environments: ['preview', 'production'], sources: ['files'], logs: false },
    deploy: async () => {
      throw down();
    },
    getStatus: async () => {
      throw down();
    },
    getLogs: async () => ({ entries: [], cursor: null }),
    getUrl: async () => null,
    destroy: async () => undefined,
  });
}

// A provider whose build never finishes: it only answers `building`.
function createSlowProvider(): DeploymentProvider {
  return defineDeploymentProvider({
    specificationVersion: 'v1',
    name: 'slow',
    capabilities: { environments: ['preview', 'production'], sources: ['files'], logs: false },
    deploy: async ({ deploymentId }) => ({ providerDeploymentId: `slow-${deploymentId}`, status: 'building', providerStatus: 'BUILDING', url: null }),
    getStatus: async ({ providerDeploymentId }) => ({ providerDeploymentId, status: 'building', providerStatus: 'BUILDING', url: null }),
    getLogs: async () => ({ entries: [], cursor: null }),
    getUrl: async () => null,
    destroy: async () => undefined,
  });
}

// Like the slow provider, but it answers from its own memory (a build on this machine).
function createLocalSlowProvider(): DeploymentProvider {
  return defineDeploymentProvider({ ...createSlowProvider(), name: 'local-slow', capabilities: { environments: ['preview', 'production'], sources: ['files'], logs: false, localStatus: true } });
}

// A provider that records what it is asked, whose deploys wait for `release`, and whose
// destroy can be made to fail.
function createRecordingProvider() {
  const destroyed: string[] = [];
  let counter = 0;
  const control = { hold: null as Promise<void> | null, failDestroy: false, destroyed };
  const provider = defineDeploymentProvider({
    specificationVersion: 'v1',
    name: 'recording',
    capabilities: { environments: ['preview', 'production'], sources: ['files'], logs: false },
    deploy: async () => {
      counter += 1;
      const id = `rec-${counter}`;
      if (control.hold) await control.hold;
      return { providerDeploymentId: id, status: 'live', providerStatus: 'LIVE', url: `https://${id}.example` };
    },
    getStatus: async ({ providerDeploymentId }) => ({ providerDeploymentId, status: destroyed.includes(providerDeploymentId) ? 'destroyed' : 'live', providerStatus: 'LIVE', url: `https://${providerDeploymentId}.example` }),
    getLogs: async () => ({ entries: [], cursor: null }),
    getUrl: async ({ providerDeploymentId }) => `https://${providerDeploymentId}.example`,
    destroy: async ({ providerDeploymentId }) => {
      if (control.failDestroy) throw new ProviderError({ provider: 'recording', message: 'platform 503', status: 503 });
      destroyed.push(providerDeploymentId);
    },
  });
  return { provider, control };
}

describeEachDatabase('deployments', (database) => {
  let recording = createRecordingProvider();
  const engine = useEngine(database, {
    providers: () => {
      recording = createRecordingProvider();
      return [createStaticProvider(), createDownProvider(), createSlowProvider(), createLocalSlowProvider(), recording.provider];
    },
  });

  async function projectWithVersions() {
    const { scope } = engine();
    const project = await scope.projects.create({ name: 'Site' });
    const v1 = await scope.versions.create({ projectId: project.id, parentVersionId: null, files: sampleFiles('first'), message: 'v1' });
    const v2 = await scope.versions.create({ projectId: project.id, parentVersionId: v1.id, files: sampleFiles('second'), message: 'v2' });
    return { project, v1, v2 };
  }

  it('deploys a preview that goes live, serves the version, logs, and is reused per version', async () => {
    const { scope } = engine();
    const { project, v1 } = await projectWithVersions();
    const created = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview', env: { MODE: 'preview' }, secrets: { API_KEY: 'super-secret-value' } });
    expect(created.expiresAt).not.toBeNull();
    expect(created.envKeys).toEqual(['API_KEY', 'MODE']);
    const live = await scope.deployments.waitForDeployment(created.id, { timeoutMs: 20_000 });
    expect(live.status).toBe('live');
    expect(live.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
    const page = await fetch(live.url as string);
    expect(await page.text()).toContain('<h1>first</h1>');
    const logs = await scope.deployments.listLogs(created.id);
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.map((log) => log.sequence)).toEqual(logs.map((_, index) => index + 1));
    expect(JSON.stringify([live, logs])).not.toContain('super-secret-value');
    const again = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    expect(again.id).toBe(created.id);
  });

  it('returns the same deployment for a repeated idempotency key', async () => {
    const { scope } = engine();
    const { project, v1 } = await projectWithVersions();
    const first = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'production', idempotencyKey: 'deploy-123' });
    const second = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'production', idempotencyKey: 'deploy-123' });
    expect(second.id).toBe(first.id);
    expect((await scope.deployments.list({ projectId: project.id })).items).toHaveLength(1);
  });

  it('expires previews: the reaper destroys them once expires_at has passed', async () => {
    const { scope, vector, advanceClock } = engine();
    const { project, v1 } = await projectWithVersions();
    const preview = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview', ttlSeconds: 120 });
    const live = await scope.deployments.waitForDeployment(preview.id, { timeoutMs: 20_000 });
    expect(await vector.reapExpiredPreviews()).toBe(0);
    advanceClock(121_000);
    expect(await vector.reapExpiredPreviews()).toBe(1);
    const destroyed = await scope.deployments.get(preview.id);
    expect(destroyed.status).toBe('destroyed');
    await expect(fetch(live.url as string)).rejects.toThrow();
    const audit = await scope.audit.list({ action: 'deployment.expire' });
    expect(audit.items).toHaveLength(1);
  });

  it('replaces production only once the new deployment is live, and rolls back by redeploying', async () => {
    const { scope } = engine();
    const { project, v1, v2 } = await projectWithVersions();
    const first = await scope.versions.publish({ projectId: project.id, versionId: v1.id, deploy: {} });
    const firstLive = await scope.deployments.waitForDeployment(first.deployment?.id as string, { timeoutMs: 20_000 });
    expect(firstLive.error).toBeNull();
    expect(firstLive.status).toBe('live');
    const second = await scope.versions.publish({ projectId: project.id, versionId: v2.id, deploy: {} });
    expect(second.project.publishedVersionId).toBe(v2.id);
    const secondLive = await scope.deployments.waitForDeployment(second.deployment?.id as string, { timeoutMs: 20_000 });
    expect(secondLive.status).toBe('live');
    expect((await scope.deployments.get(firstLive.id)).status).toBe('destroyed');
    expect(await (await fetch(secondLive.url as string)).text()).toContain('second');
    // Rollback = redeploy an earlier version.
    const rollback = await scope.versions.publish({ projectId: project.id, versionId: v1.id, deploy: {} });
    const rolledBack = await scope.deployments.waitForDeployment(rollback.deployment?.id as string, { timeoutMs: 20_000 });
    expect(await (await fetch(rolledBack.url as string)).text()).toContain('first');
    expect((await scope.deployments.get(secondLive.id)).status).toBe('destroyed');
    const production = await scope.deployments.list({ projectId: project.id, environment: 'production', status: 'live' });
    expect(production.items.map((deployment) => deployment.id)).toEqual([rolledBack.id]);
  });

  it('marks a deployment failed with the provider error during an outage, never leaving it stuck', async () => {
    const { scope } = engine();
    const { project, v1 } = await projectWithVersions();
    const deployment = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview', provider: 'down' });
    expect(deployment.status).toBe('failed');
    expect(deployment.error).toMatchObject({ code: 'PROVIDER_ERROR', message: 'Service Unavailable' });
  });

  it('destroys a deployment on request', async () => {
    const { scope } = engine();
    const { project, v1 } = await projectWithVersions();
    const deployment = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    await scope.deployments.waitForDeployment(deployment.id, { timeoutMs: 20_000 });
    const destroyed = await scope.deployments.destroy(deployment.id);
    expect(destroyed.status).toBe('destroyed');
    expect((await scope.deployments.destroy(deployment.id)).status).toBe('destroyed');
  });

  it('polls a slow build less and less often, up to the maximum interval', async () => {
    const { scope, vector, advanceClock } = engine();
    const { project, v1 } = await projectWithVersions();
    const deployment = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview', provider: 'slow' });
    const gap = async () => {
      const row = await vector.db.selectFrom('vector_deployments').select(['next_poll_at', 'updated_at']).where('id', '=', deployment.id).executeTakeFirstOrThrow();
      return Date.parse(row.next_poll_at as string) - Date.parse(row.updated_at as string);
    };
    const early = await gap();
    advanceClock(60_000);
    await scope.deployments.refresh(deployment.id);
    const later = await gap();
    advanceClock(3_600_000);
    await scope.deployments.refresh(deployment.id);
    const latest = await gap();
    expect(early).toBeLessThan(1_000);
    expect(later).toBeGreaterThanOrEqual(14_000);
    expect(later).toBeLessThanOrEqual(16_000);
    expect(latest).toBeGreaterThan(29_900);
    expect(latest).toBeLessThanOrEqual(30_000);
    expect((await scope.deployments.get(deployment.id)).status).toBe('building');
  });

  it('polls a provider that answers from memory at the base interval, however long its build runs', async () => {
    const { scope, vector, advanceClock } = engine();
    const { project, v1 } = await projectWithVersions();
    const deployment = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview', provider: 'local-slow' });
    advanceClock(3_600_000);
    await scope.deployments.refresh(deployment.id);
    const row = await vector.db.selectFrom('vector_deployments').select(['next_poll_at', 'updated_at']).where('id', '=', deployment.id).executeTakeFirstOrThrow();
    expect(Date.parse(row.next_poll_at as string) - Date.parse(row.updated_at as string)).toBeLessThan(1_000);
  });

  it('tears down at the provider a deployment destroyed while it was being created', async () => {
    const { scope } = engine();
    const { project, v1 } = await projectWithVersions();
    let release = () => undefined as void;
    recording.control.hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    const creating = scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview', provider: 'recording' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const [pending] = (await scope.deployments.list({ projectId: project.id })).items;
    await scope.deployments.destroy(pending?.id as string);
    release();
    const final = await creating;
    expect(final.status).toBe('destroyed');
    expect(recording.control.destroyed).toEqual(['rec-1']);
  });

  it('keeps the new production deployment live when retiring the old one fails, and retries', async () => {
    const { scope } = engine();
    const { project, v1, v2 } = await projectWithVersions();
    const first = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'production', provider: 'recording' });
    recording.control.failDestroy = true;
    const second = await scope.deployments.create({ projectId: project.id, versionId: v2.id, environment: 'production', provider: 'recording' });
    expect(second.status).toBe('live');
    expect((await scope.deployments.get(first.id)).status).toBe('live');
    recording.control.failDestroy = false;
    // The monitor retries the replacement on its next passes.
    const deadline = Date.now() + 10_000;
    while ((await scope.deployments.get(first.id)).status !== 'destroyed' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await scope.deployments.get(first.id)).status).toBe('destroyed');
    expect((await scope.deployments.get(second.id)).status).toBe('live');
  });

  it('does not reuse a preview when new secrets or variables are given', async () => {
    const { scope } = engine();
    const { project, v1 } = await projectWithVersions();
    const first = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview', provider: 'recording', env: { MODE: 'a' } });
    expect((await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview', provider: 'recording' })).id).toBe(first.id);
    expect((await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview', provider: 'recording', env: { MODE: 'a' } })).id).toBe(first.id);
    expect((await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview', provider: 'recording', env: { MODE: 'b' } })).id).not.toBe(first.id);
    expect((await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview', provider: 'recording', secrets: { KEY: 'rotated-secret' } })).id).not.toBe(first.id);
  });

  it('tears down running deployments when the organization is deleted', async () => {
    const { scope, vector, organizationId, actor } = engine();
    const { project, v1 } = await projectWithVersions();
    await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'production', provider: 'recording' });
    await vector.organizations.delete(organizationId, actor);
    expect(recording.control.destroyed).toEqual(['rec-1']);
  });

  it('tears down a deleted project\'s deployments through the one destroy path: marked destroyed, audited and announced', async () => {
    const { scope, vector } = engine();
    const { project, v1 } = await projectWithVersions();
    const deployment = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'production', provider: 'recording' });
    const announced: string[] = [];
    vector.events.on('deployment.updated', (payload) => {
      if (payload.deployment.id === deployment.id) announced.push(payload.deployment.status);
    });
    await scope.projects.delete(project.id);
    expect(recording.control.destroyed).toEqual(['rec-1']);
    expect(announced).toEqual(['destroyed']);
    const audit = await scope.audit.list({ action: 'deployment.teardown' });
    expect(audit.items.map((entry) => entry.entityId)).toEqual([deployment.id]);
  });
});

describeEachDatabase('deployments after a restart', (database) => {
  it('never leaves a deployment live at a dead URL: a provider that lost it reports it failed on start', async () => {
    const connection = await database.create();
    const options = { database: connection, storage: [createMemoryStorage()], deploymentPollIntervalMs: 20 };
    const storage = options.storage;
    const first = createVector({ ...options, providers: [createStaticProvider()] });
    await first.start();
    const actor = { type: 'user', id: 'user-1' } as const;
    const organization = await first.organizations.create({ name: 'Acme' }, actor);
    const scope = first.scope({ organizationId: organization.id, actor });
    const project = await scope.projects.create({ name: 'Site' });
    const version = await scope.versions.create({ projectId: project.id, parentVersionId: null, files: sampleFiles('first'), message: 'v1' });
    const created = await scope.deployments.create({ projectId: project.id, versionId: version.id, environment: 'preview' });
    const live = await scope.deployments.waitForDeployment(created.id, { timeoutMs: 20_000 });
    expect(live.status).toBe('live');
    // The process ends: the static provider's servers go with it.
    await first.dispose();

    const second = createVector({ ...options, storage, providers: [createStaticProvider()] });
    try {
      await second.start();
      const again = second.scope({ organizationId: organization.id, actor });
      await expect.poll(async () => (await again.deployments.get(created.id)).status, { timeout: 10_000 }).toBe('failed');
      const failed = await again.deployments.get(created.id);
      expect(failed.error?.code).toBe('DEPLOYMENT_NOT_FOUND');
    } finally {
      await second.dispose();
      await connection.destroy();
    }
  });
});
