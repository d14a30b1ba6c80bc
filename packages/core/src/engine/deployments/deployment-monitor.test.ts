import { type MeterProvider, SpanStatusCode } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { expect, it } from 'vitest';
import { NotFoundError } from '../../errors/not-found-error.js';
import { ProviderError } from '../../errors/provider-error.js';
import { createMemoryStorage } from '../../reference/index.js';
import type { Actor } from '../../schemas/common.js';
import type { Deployment } from '../../schemas/deployment.js';
import { sampleFiles } from '../../testing/engine-fixture.js';
import { describeEachDatabase } from '../../testing/test-databases.js';
import { createVector } from '../create-vector.js';
import type { Vector } from '../vector-types.js';
import { T0, scriptedProvider, gate, building, live, useDeploymentKit } from './deployment-test-kit.js';

// What runs without a caller: the preview reaper, the monitor's passes, the reconcile at start;
// and what the lifecycle records on meters and spans. On a frozen clock, with scripted providers.

describeEachDatabase('the preview reaper', (database) => {
  const kit = useDeploymentKit(database);

  it('destroys previews once their expiry is reached, failed ones too, as the system; never production, never twice', async () => {
    const { vector, scope, alpha, project, v1, v2, clock, organizationId } = kit();
    const first = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview', ttlSeconds: 60 });
    const crashed = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview', ttlSeconds: 60, env: { N: 'crashed' } });
    const later = await scope.deployments.create({ projectId: project.id, versionId: v2.id, environment: 'preview', ttlSeconds: 120 });
    const production = await scope.deployments.create({ projectId: project.id, versionId: v2.id, environment: 'production' });
    alpha.control.getStatus = async ({ providerDeploymentId }) => ({ providerDeploymentId, status: 'failed', providerStatus: 'ERROR', url: null });
    expect((await scope.deployments.refresh(crashed.id)).status).toBe('failed');
    clock.ms = T0 + 59_999;
    expect(await vector.reapExpiredPreviews()).toBe(0);
    clock.ms = T0 + 60_000;
    expect(await vector.reapExpiredPreviews()).toBe(2);
    expect((await scope.deployments.get(first.id)).status).toBe('destroyed');
    expect((await scope.deployments.get(crashed.id)).status).toBe('destroyed');
    expect((await scope.deployments.get(later.id)).status).toBe('building');
    expect(alpha.calls.destroy.sort()).toEqual([first.providerDeploymentId, crashed.providerDeploymentId].sort());
    const audit = await scope.audit.list({ action: 'deployment.expire' });
    expect(audit.items.map((entry) => entry.entityId).sort()).toEqual([first.id, crashed.id].sort());
    for (const entry of audit.items) expect(entry).toMatchObject({ organizationId, projectId: project.id, actor: { type: 'system', id: 'vector' }, entityType: 'deployment', data: { environment: 'preview', provider: 'alpha' } });
    expect(await vector.reapExpiredPreviews()).toBe(0);
    clock.ms = T0 + 1_000_000_000;
    expect(await vector.reapExpiredPreviews()).toBe(1);
    expect((await scope.deployments.get(later.id)).status).toBe('destroyed');
    expect((await scope.deployments.get(production.id)).status).toBe('building');
    expect(alpha.calls.destroy).toHaveLength(3);
  });

  it('warns about a preview it cannot destroy, reaps the others, and tries it again next time', async () => {
    const { vector, scope, alpha, project, v1, v2, clock, warnings, organizationId } = kit();
    const stuck = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview', ttlSeconds: 60 });
    const other = await scope.deployments.create({ projectId: project.id, versionId: v2.id, environment: 'preview', ttlSeconds: 60 });
    alpha.control.destroy = async ({ providerDeploymentId }) => {
      if (providerDeploymentId === stuck.providerDeploymentId) throw new ProviderError({ provider: 'alpha', message: 'platform 503', status: 503 });
    };
    clock.ms = T0 + 61_000;
    expect(await vector.reapExpiredPreviews()).toBe(1);
    expect((await scope.deployments.get(other.id)).status).toBe('destroyed');
    expect((await scope.deployments.get(stuck.id)).status).toBe('building');
    expect(warnings).toEqual([{ organizationId, projectId: project.id, code: 'PREVIEW_REAP_FAILED', message: 'platform 503' }]);
    alpha.control.destroy = async () => undefined;
    expect(await vector.reapExpiredPreviews()).toBe(1);
    expect((await scope.deployments.get(stuck.id)).status).toBe('destroyed');
  });
});

describeEachDatabase('the deployment monitor', (database) => {
  const kit = useDeploymentKit(database, { options: () => ({ roles: ['api', 'worker'], deploymentPollIntervalMs: 20, reaperIntervalMs: 3_600_000 }) });

  it('gives up, on its own, a deployment its provider never acknowledged', async () => {
    const { scope, alpha, project, v1, clock, updates } = kit();
    const deploying = gate();
    alpha.control.deploy = async (_input, n) => {
      deploying.enter();
      await deploying.held;
      return building(`alpha-${n}`);
    };
    const creating = scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    try {
      await deploying.entered;
      const [pending] = (await scope.deployments.list({ projectId: project.id })).items;
      expect(pending?.status).toBe('pending');
      clock.ms = T0 + 300_001;
      await expect.poll(async () => (await scope.deployments.get(pending?.id as string)).status, { timeout: 10_000 }).toBe('failed');
      expect((await scope.deployments.get(pending?.id as string)).error?.message).toBe('The deployment was interrupted before the provider accepted it; deploy again');
      expect(updates.map((deployment) => deployment.status)).toEqual(['failed']);
    } finally {
      deploying.release();
      await creating;
    }
  });

  it('retires the older of two live production deployments on its next pass once the platform lets it', async () => {
    const { scope, alpha, project, v1, v2 } = kit();
    alpha.control.deploy = async (_input, n) => live(`alpha-${n}`);
    alpha.control.getStatus = async ({ providerDeploymentId }) => live(providerDeploymentId);
    const older = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'production' });
    alpha.control.destroy = async () => {
      throw new ProviderError({ provider: 'alpha', message: 'platform 503', status: 503 });
    };
    const newer = await scope.deployments.create({ projectId: project.id, versionId: v2.id, environment: 'production' });
    expect((await scope.deployments.get(older.id)).status).toBe('live');
    alpha.control.destroy = async () => undefined;
    await expect.poll(async () => (await scope.deployments.get(older.id)).status, { timeout: 10_000 }).toBe('destroyed');
    expect((await scope.deployments.get(newer.id)).status).toBe('live');
    const audit = await scope.audit.list({ action: 'deployment.replace' });
    // At least one entry, each the system replacing the older one. (Overlapping monitor passes can
    // retire it twice, auditing it twice: see the report of this change.)
    expect(audit.items.length).toBeGreaterThan(0);
    for (const entry of audit.items) expect([entry.entityId, entry.actor]).toEqual([older.id, { type: 'system', id: 'vector' }]);
  });
});

describeEachDatabase('the reconcile at start', (database) => {
  it('asks the provider about every live deployment, page after page, and skips those of providers this engine lacks', async () => {
    const connection = await database.create();
    const actor: Actor = { type: 'user', id: 'user-1' };
    const before = scriptedProvider('alpha');
    before.control.deploy = async (_input, n) => live(`alpha-${n}`);
    const legacy = scriptedProvider('legacy');
    legacy.control.deploy = async (_input, n) => live(`legacy-${n}`);
    const first = createVector({ database: connection, storage: [createMemoryStorage()], providers: [before.provider, legacy.provider], roles: ['api'] });
    let second: Vector | null = null;
    try {
      await first.start();
      const organization = await first.organizations.create({ name: 'Acme' }, actor);
      const scope = first.scope({ organizationId: organization.id, actor });
      const project = await scope.projects.create({ name: 'Site' });
      const version = await scope.versions.create({ projectId: project.id, parentVersionId: null, files: sampleFiles('first'), message: 'v1' });
      const ids: string[] = [];
      for (let n = 0; n < 53; n += 1) ids.push((await scope.deployments.create({ projectId: project.id, versionId: version.id, environment: 'preview', env: { N: String(n) } })).id);
      const old = await scope.deployments.create({ projectId: project.id, versionId: version.id, environment: 'preview', provider: 'legacy' });
      expect(old.status).toBe('live');
      await first.dispose();

      const after = scriptedProvider('alpha');
      after.control.getStatus = async ({ providerDeploymentId }) => ({ providerDeploymentId, status: 'failed', providerStatus: 'LOST', url: null, error: { code: 'DEPLOYMENT_NOT_FOUND', message: 'gone with the process' } });
      second = createVector({ database: connection, storage: [createMemoryStorage()], providers: [after.provider], deploymentPollIntervalMs: 20 });
      await second.start();
      const again = second.scope({ organizationId: organization.id, actor });
      const failedCount = async () => (await again.deployments.list({ status: 'failed' }, { limit: 100 })).items.length;
      await expect.poll(failedCount, { timeout: 20_000 }).toBe(53);
      expect([...after.calls.getStatus].sort()).toEqual(Array.from({ length: 53 }, (_, index) => `alpha-${index + 1}`).sort());
      expect((await again.deployments.get(ids[52] as string)).error).toEqual({ code: 'DEPLOYMENT_NOT_FOUND', message: 'gone with the process' });
      expect((await again.deployments.get(old.id)).status).toBe('live');
      await expect(again.deployments.refresh(old.id)).rejects.toMatchObject({ code: 'INTERNAL', message: `Deployment ${old.id} uses provider legacy, which is not registered with this engine` });
      await expect(again.deployments.waitForDeployment(old.id)).resolves.toMatchObject({ status: 'live' });
    } finally {
      await second?.dispose();
      await connection.destroy();
    }
  });
});

/** A meter provider that records every counter add and histogram record. */
function recordingMeters() {
  const records: Array<{ name: string; value: number; status: unknown; provider: unknown; environment: unknown }> = [];
  const instrument = (name: string) => {
    const write = (value: number, attributes: Record<string, unknown> = {}) =>
      records.push({ name, value, status: attributes['vector.deployment.status'], provider: attributes['vector.deployment.provider'], environment: attributes['vector.deployment.environment'] });
    return { add: write, record: write };
  };
  const meter = { createCounter: instrument, createHistogram: instrument };
  const meterProvider = { getMeter: () => meter } as unknown as MeterProvider;
  return { meterProvider, records };
}

describeEachDatabase('deployment metrics', (database) => {
  let meters = recordingMeters();
  const kit = useDeploymentKit(database, { options: () => {
    meters = recordingMeters();
    return { telemetry: { meterProvider: meters.meterProvider } };
  } });

  const deployments = () => meters.records.filter((record) => record.name === 'vector.deployments').map((record) => record.status);
  const builds = () => meters.records.filter((record) => record.name === 'vector.deployment.build.duration').map((record) => [record.status, record.value]);

  it('counts each status a deployment reaches, and times the build to live or failed', async () => {
    const { scope, alpha, project, v1, v2, clock } = kit();
    const created = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    expect(meters.records.filter((record) => record.name === 'vector.deployments')[0]).toEqual({ name: 'vector.deployments', value: 1, status: 'pending', provider: 'alpha', environment: 'preview' });
    expect(deployments()).toEqual(['pending', 'building']);
    expect(builds()).toEqual([]);
    let answer = live('alpha-1');
    alpha.control.getStatus = async () => answer;
    clock.ms = T0 + 5_000;
    await scope.deployments.refresh(created.id);
    await scope.deployments.refresh(created.id);
    expect(deployments()).toEqual(['pending', 'building', 'live']);
    expect(builds()).toEqual([['live', 5]]);
    expect(meters.records.find((record) => record.name === 'vector.deployment.build.duration')).toMatchObject({ provider: 'alpha', environment: 'preview' });
    // Leaving live is no build.
    answer = { providerDeploymentId: 'alpha-1', status: 'failed', providerStatus: 'CRASHED', url: null };
    clock.ms = T0 + 8_000;
    await scope.deployments.refresh(created.id);
    await scope.deployments.destroy(created.id);
    expect(deployments()).toEqual(['pending', 'building', 'live', 'failed', 'destroyed']);
    expect(builds()).toEqual([['live', 5]]);

    // A deploy refused outright ends its build at once; a build the provider loses ends when it is failed.
    alpha.control.deploy = async () => {
      throw new ProviderError({ provider: 'alpha', message: 'no', status: 400 });
    };
    meters.records.length = 0;
    await scope.deployments.create({ projectId: project.id, versionId: v2.id, environment: 'production' });
    expect(deployments()).toEqual(['pending', 'failed']);
    expect(builds()).toEqual([['failed', 0]]);
  });

  it('times a build given up for its provider’s silence, and a build its provider can no longer find', async () => {
    const { scope, alpha, project, v1, v2, clock } = kit();
    const created = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    alpha.control.getStatus = async () => {
      throw new NotFoundError({ entity: 'deployment' });
    };
    clock.ms = T0 + 2_500;
    await scope.deployments.refresh(created.id);
    expect(builds()).toEqual([['failed', 2.5]]);

    const deploying = gate();
    alpha.control.deploy = async () => {
      deploying.enter();
      await deploying.held;
      throw new ProviderError({ provider: 'alpha', message: 'late', status: 400 });
    };
    const creating = scope.deployments.create({ projectId: project.id, versionId: v2.id, environment: 'preview' });
    await deploying.entered;
    const pending = (await scope.deployments.list({ status: 'pending' })).items[0] as Deployment;
    meters.records.length = 0;
    clock.ms = Date.parse(pending.createdAt) + 400_000;
    await scope.deployments.refresh(pending.id);
    expect(deployments()).toEqual(['failed']);
    expect(builds()).toEqual([['failed', 400]]);
    deploying.release();
    await creating;
  });
});

describeEachDatabase('the deployment start span', (database) => {
  const exporter = new InMemorySpanExporter();
  const kit = useDeploymentKit(database, { options: () => {
    exporter.reset();
    return { telemetry: { tracerProvider: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }) } };
  } });

  it('records the deployment, its provider, environment, project and the status it reached; failed with its error code', async () => {
    const { scope, alpha, project, v1, v2 } = kit();
    const created = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    alpha.control.deploy = async () => {
      throw new ProviderError({ provider: 'alpha', message: 'no', status: 400 });
    };
    const failed = await scope.deployments.create({ projectId: project.id, versionId: v2.id, environment: 'production' });
    const spans = exporter.getFinishedSpans().filter((span) => span.name === 'vector.deployment.start');
    expect(spans).toHaveLength(2);
    expect(spans[0]?.attributes).toEqual({ 'vector.deployment.id': created.id, 'vector.deployment.provider': 'alpha', 'vector.deployment.environment': 'preview', 'vector.project.id': project.id, 'vector.deployment.status': 'building' });
    expect(spans[0]?.status.code).toBe(SpanStatusCode.UNSET);
    expect(spans[1]?.attributes).toEqual({ 'vector.deployment.id': failed.id, 'vector.deployment.provider': 'alpha', 'vector.deployment.environment': 'production', 'vector.project.id': project.id, 'vector.deployment.status': 'failed', 'error.type': 'PROVIDER_ERROR' });
    expect(spans[1]?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'PROVIDER_ERROR' });
  });
});
