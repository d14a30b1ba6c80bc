import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RailwayProvider } from '../src/index.js';
import { startFakeRailway, type FakeRailway } from './fake-railway-api.js';
import { commitDeploy, fakeRailwayProvider, serverFiles, settle } from './railway-fixture.js';

const sha = (n: number) => n.toString(16).padStart(40, 'e');
let fake: FakeRailway;
let provider: RailwayProvider;
let counter = 0;

function deployInput(environment: 'preview' | 'production', commit: string, projectId: string): Parameters<RailwayProvider['deploy']>[0] {
  counter += 1;
  return commitDeploy('pin', counter, { commit, repository: 'pinned', project: { id: projectId, name: 'Pinned' }, files: serverFiles, environment });
}

const refOf = (providerDeploymentId: string) => JSON.parse(Buffer.from(providerDeploymentId.slice(4), 'base64url').toString('utf8')) as { projectId: string; environmentId: string; serviceId: string; deploymentId: string };

async function graphql<T>(query: string, variables: Record<string, unknown>): Promise<T> {
  const response = await fetch(fake.url, { method: 'POST', headers: { authorization: `Bearer ${fake.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  const body = (await response.json()) as { data: T; errors?: Array<{ message: string }> };
  if (body.errors) throw new Error(body.errors[0]?.message);
  return body.data;
}

beforeAll(async () => {
  fake = await startFakeRailway();
  fake.addRepo('acme/pinned', 'any');
  provider = fakeRailwayProvider(fake);
});
afterAll(async () => {
  await fake.close();
});

describe('pinned deploys: a push to the branch never redeploys what Vector deployed', () => {
  it('leaves previews and production on their commits, while a service with a branch trigger deploys the push', async () => {
    const preview = await settle(provider, await provider.deploy(deployInput('preview', sha(1), 'proj-pin')));
    const production = await settle(provider, await provider.deploy(deployInput('production', sha(2), 'proj-pin')));
    expect([preview.status, production.status]).toEqual(['live', 'live']);
    const ours = [refOf(preview.providerDeploymentId), refOf(production.providerDeploymentId)];
    // Connecting the repository added a trigger in the fake (its worst-case assumption); the provider deleted it.
    expect([...fake.triggers.values()].filter((trigger) => ours.some((ref) => ref.serviceId === trigger.serviceId))).toEqual([]);

    // A service connected the way Railway's dashboard does it: repository and branch.
    const { projectId, environmentId } = ours[0] as { projectId: string; environmentId: string };
    const other = await graphql<{ serviceCreate: { id: string } }>('mutation ($input: ServiceCreateInput!) { serviceCreate(input: $input) { id } }', { input: { projectId, name: 'dashboard-made', source: { repo: 'acme/pinned' }, branch: 'main' } });
    const started = fake.push({ repo: 'acme/pinned', branch: 'main', sha: sha(99) });
    expect(started.map((id) => fake.deployments.get(id)?.serviceId)).toEqual([other.serviceCreate.id]);
    expect(fake.deployments.get(started[0] as string)).toMatchObject({ commitSha: sha(99), environmentId });

    for (const [state, commit] of [
      [preview, sha(1)],
      [production, sha(2)],
    ] as const) {
      const serviceDeployments = [...fake.deployments.values()].filter((deployment) => deployment.serviceId === refOf(state.providerDeploymentId).serviceId);
      expect(serviceDeployments.map((deployment) => deployment.commitSha)).toEqual([commit]);
      expect(await provider.getStatus({ providerDeploymentId: state.providerDeploymentId })).toMatchObject({ status: 'live', url: state.url });
    }
  });

  it('deletes a trigger added to the production service in the dashboard on the next publish', async () => {
    const first = await settle(provider, await provider.deploy(deployInput('production', sha(3), 'proj-pin-trigger')));
    const ref = refOf(first.providerDeploymentId);
    await graphql('mutation ($input: DeploymentTriggerCreateInput!) { deploymentTriggerCreate(input: $input) { id } }', {
      input: { projectId: ref.projectId, environmentId: ref.environmentId, serviceId: ref.serviceId, repository: 'acme/pinned', branch: 'main', provider: 'github' },
    });
    expect(fake.push({ repo: 'acme/pinned', branch: 'main', sha: sha(98) }).map((id) => fake.deployments.get(id)?.serviceId)).toContain(ref.serviceId);

    const second = await provider.deploy(deployInput('production', sha(4), 'proj-pin-trigger'));
    expect(refOf(second.providerDeploymentId).serviceId).toBe(ref.serviceId);
    expect([...fake.triggers.values()].filter((trigger) => trigger.serviceId === ref.serviceId)).toEqual([]);
    expect(fake.push({ repo: 'acme/pinned', branch: 'main', sha: sha(97) }).map((id) => fake.deployments.get(id)?.serviceId)).not.toContain(ref.serviceId);
  });
});
