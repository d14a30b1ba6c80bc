import type { ProviderDeploymentState } from '@vector/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RailwayProvider } from '../src/index.js';
import { startFakeRailway, type FakeRailway } from './fake-railway-api.js';
import { fakeRailwayProvider, losingFirstAnswerTo, serverFiles } from './railway-fixture.js';

const sha = (n: number) => n.toString(16).padStart(40, 'f');
let fake: FakeRailway;
let provider: RailwayProvider;
let counter = 0;

function publish(projectId: string, commit: string, key = `prod-${(counter += 1)}`): Parameters<RailwayProvider['deploy']>[0] {
  return {
    deploymentId: `dep-${key}`,
    idempotencyKey: key,
    project: { id: projectId, organizationId: 'org-1', name: 'Shop' },
    version: { id: `ver-${key}`, number: 1, storageRef: commit },
    environment: 'production',
    source: { git: { repositoryUrl: 'https://github.com/acme/shop', owner: 'acme', repository: 'shop', branch: 'main', commitSha: commit }, getFiles: async () => serverFiles },
    env: { MODE: key },
    secrets: {},
  };
}

async function settle(state: ProviderDeploymentState, using = provider) {
  let current = state;
  for (let poll = 0; poll < 40 && !['live', 'failed', 'destroyed'].includes(current.status); poll += 1) current = await using.getStatus({ providerDeploymentId: current.providerDeploymentId });
  return current;
}

const refOf = (state: ProviderDeploymentState) => JSON.parse(Buffer.from(state.providerDeploymentId.slice(4), 'base64url').toString('utf8')) as { serviceId: string; deploymentId: string; production?: boolean };
const railwayStatus = (state: ProviderDeploymentState) => {
  const deployment = fake.deployments.get(refOf(state).deploymentId);
  return deployment?.script[deployment.step];
};

beforeAll(async () => {
  fake = await startFakeRailway();
  fake.addRepo('acme/shop', 'any');
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  provider = fakeRailwayProvider(fake);
  fake.setSlowBuilds(0);
});

describe('production: one Railway service per project, a stable URL', () => {
  it('publishes into the same service: the old deployment serves until the new one is SUCCESS, then Railway removes it; rollback redeploys the older commit', async () => {
    const v1 = await settle(await provider.deploy(publish('proj-stable', sha(1))));
    expect(v1).toMatchObject({ status: 'live', url: expect.stringMatching(/^https:\/\/vector-production-[0-9a-f]{16}-production-.+\.up\.railway\.app$/) });
    expect(refOf(v1).production).toBe(true);

    fake.setSlowBuilds(3);
    const v2 = await provider.deploy(publish('proj-stable', sha(2)));
    expect(refOf(v2).serviceId).toBe(refOf(v1).serviceId);
    expect(await provider.getStatus({ providerDeploymentId: v2.providerDeploymentId })).toMatchObject({ status: 'pending' });
    expect(railwayStatus(v1)).toBe('SUCCESS');
    expect((await provider.getStatus({ providerDeploymentId: v1.providerDeploymentId })).status).toBe('live');

    const v2Live = await settle(v2);
    expect(v2Live).toMatchObject({ status: 'live', url: v1.url });
    expect(railwayStatus(v1)).toBe('REMOVED');
    expect(await provider.getStatus({ providerDeploymentId: v1.providerDeploymentId })).toMatchObject({ status: 'destroyed', url: null });
    // What core's retireSupersededProduction does now: the shared service stays.
    await provider.destroy({ providerDeploymentId: v1.providerDeploymentId });
    expect(fake.services.has(refOf(v1).serviceId)).toBe(true);
    expect(railwayStatus(v2Live)).toBe('SUCCESS');

    fake.setSlowBuilds(0);
    const rollback = await settle(await provider.deploy(publish('proj-stable', sha(1))));
    expect(rollback).toMatchObject({ status: 'live', url: v1.url });
    expect(rollback.providerDeploymentId).not.toBe(v1.providerDeploymentId);
    expect(fake.deployments.get(refOf(rollback).deploymentId)?.commitSha).toBe(sha(1));
    expect((await provider.getStatus({ providerDeploymentId: v2.providerDeploymentId })).status).toBe('destroyed');
    expect([...fake.services.values()].filter((service) => service.name.startsWith('vector-production-') && service.projectId === [...fake.services.values()].find((candidate) => candidate.id === refOf(v1).serviceId)?.projectId)).toHaveLength(1);
  });

  it('finds the deployment of a retried publish whose answer was lost, starting no second one', async () => {
    const flaky = losingFirstAnswerTo('serviceInstanceDeployV2');
    const first = await settle(await provider.deploy(publish('proj-retry', sha(3))));
    const input = publish('proj-retry', sha(4));
    const lossy = fakeRailwayProvider(fake, { fetch: flaky });
    await expect(lossy.deploy(input)).rejects.toMatchObject({ isRetryable: true });
    const before = fake.deployments.size;
    const again = await fakeRailwayProvider(fake).deploy(input);
    expect(fake.deployments.size).toBe(before);
    expect(refOf(again).serviceId).toBe(refOf(first).serviceId);
    expect(fake.deployments.get(refOf(again).deploymentId)?.commitSha).toBe(sha(4));
    expect((await provider.deploy(input)).providerDeploymentId).toBe(again.providerDeploymentId);
  });

  it('takes production down with its service when the live deployment is destroyed with nothing newer', async () => {
    const live = await settle(await provider.deploy(publish('proj-down', sha(5))));
    await provider.destroy({ providerDeploymentId: live.providerDeploymentId });
    expect(fake.services.has(refOf(live).serviceId)).toBe(false);
    expect((await provider.getStatus({ providerDeploymentId: live.providerDeploymentId })).status).toBe('destroyed');
    await provider.destroy({ providerDeploymentId: live.providerDeploymentId });
  });

  it('cancels a destroyed deployment that is still building, leaving the live one serving', async () => {
    const live = await settle(await provider.deploy(publish('proj-cancel', sha(6))));
    fake.setSlowBuilds(5);
    const building = await provider.deploy(publish('proj-cancel', sha(7)));
    await provider.destroy({ providerDeploymentId: building.providerDeploymentId });
    expect(railwayStatus(building)).toBe('REMOVED');
    expect(railwayStatus(live)).toBe('SUCCESS');
    expect(fake.services.has(refOf(live).serviceId)).toBe(true);
  });

  it('keeps a destroyed live deployment serving while a newer one builds; deletes the service only if that one fails', async () => {
    const a = await settle(await provider.deploy(publish('proj-pending', sha(8))));
    fake.setSlowBuilds(2);
    const b = await provider.deploy(publish('proj-pending', sha(9)));
    await provider.destroy({ providerDeploymentId: a.providerDeploymentId });
    expect(await provider.getStatus({ providerDeploymentId: a.providerDeploymentId })).toMatchObject({ status: 'destroyed' });
    expect((await settle(b)).status).toBe('live');
    expect(fake.services.has(refOf(a).serviceId)).toBe(true);

    const c = await settle(await provider.deploy(publish('proj-failing', sha(10))));
    fake.failNextBuild();
    const d = await provider.deploy(publish('proj-failing', sha(11)));
    await provider.destroy({ providerDeploymentId: c.providerDeploymentId });
    expect(fake.services.has(refOf(c).serviceId)).toBe(true);
    expect((await settle(d)).status).toBe('failed');
    expect(fake.services.has(refOf(c).serviceId)).toBe(false);
  });
});
