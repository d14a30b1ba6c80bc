import { expect, it } from 'vitest';
import type { Deployment } from '../../schemas/deployment.js';
import { sampleFiles, useEngine } from '../../testing/engine-fixture.js';
import { describeEachDatabase } from '../../testing/test-databases.js';
import type { Vector, VectorScope } from '../vector-types.js';

/** The deployment once it reaches `status`: announced on the bus, or already there when asked. */
async function statusReached(vector: Vector, scope: VectorScope, deploymentId: string, status: Deployment['status']): Promise<Deployment> {
  let onUpdate: (payload: { deployment: Deployment }) => void = () => undefined;
  const announced = new Promise<Deployment>((resolve) => {
    onUpdate = (payload) => {
      if (payload.deployment.id === deploymentId && payload.deployment.status === status) resolve(payload.deployment);
    };
    vector.events.on('deployment.updated', onUpdate);
  });
  try {
    // Subscribed first, so a change between this read and the subscription cannot be missed.
    const now = await scope.deployments.get(deploymentId);
    return now.status === status ? now : await announced;
  } finally {
    vector.events.off('deployment.updated', onUpdate);
  }
}

describeEachDatabase("the preview reaper's own timer", (database) => {
  const previewTtlSeconds = 60;
  const engine = useEngine(database, { overrides: { reaperIntervalMs: 20, previewTtlSeconds } });

  it('destroys a preview once it has expired, with nobody calling reapExpiredPreviews', async () => {
    const { scope, vector, advanceClock } = engine();
    const project = await scope.projects.create({ name: 'Expiring' });
    const v1 = await scope.versions.create({ projectId: project.id, parentVersionId: null, files: sampleFiles(), message: 'first' });
    const preview = await scope.deployments.create({ projectId: project.id, versionId: v1.id, environment: 'preview' });
    // No ttlSeconds given: the engine's previewTtlSeconds applies.
    expect(Date.parse(preview.expiresAt as string) - Date.parse(preview.createdAt)).toBe(previewTtlSeconds * 1000);
    const live = await scope.deployments.waitForDeployment(preview.id, { timeoutMs: 20_000 });
    expect(live.status).toBe('live');

    advanceClock((previewTtlSeconds + 1) * 1000);
    const destroyed = await statusReached(vector, scope, preview.id, 'destroyed');
    expect(destroyed.status).toBe('destroyed');
    expect((await scope.deployments.get(preview.id)).status).toBe('destroyed');
    await expect(fetch(live.url as string)).rejects.toThrow();
    const expired = await scope.audit.list({ action: 'deployment.expire' });
    expect(expired.items.map((entry) => entry.entityId)).toEqual([preview.id]);
  });
});
