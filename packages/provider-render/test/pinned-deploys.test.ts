import type { DeploymentProvider } from '@vector/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeRenderApi, type FakeRenderApi } from './fake-render-api.js';
import { commitDeploy, fakeRenderProvider, settle } from './render-fixture.js';

const encode = (text: string) => new TextEncoder().encode(text);
const serverFiles = [
  { path: 'package.json', content: encode('{"name":"shop","scripts":{"start":"node server.js"}}\n') },
  { path: 'server.js', content: encode('require("http").createServer((_, res) => res.end("ok")).listen(process.env.PORT);\n') },
];
const sha = (n: number) => n.toString(16).padStart(40, 'c');
let counter = 0;

function deployInput(environment: 'preview' | 'production', commit: string, projectId: string) {
  counter += 1;
  return commitDeploy('pin', counter, { commit, repository: 'pinned', project: { id: projectId, name: 'Pinned' }, files: serverFiles, environment, number: counter });
}

const serviceOf = (providerDeploymentId: string) => providerDeploymentId.split(':')[2] as string;

let fake: FakeRenderApi;
let provider: DeploymentProvider;
beforeAll(async () => {
  fake = await startFakeRenderApi();
  provider = fakeRenderProvider(fake);
});
afterAll(async () => {
  await fake.close();
});

/** A service made the way Render's dashboard makes one: auto-deploy left at Render's default. */
async function createAutoDeployingService(name: string) {
  const response = await fetch(`${fake.baseUrl}/services`, {
    method: 'POST',
    headers: { authorization: `Bearer ${fake.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'web_service', name, ownerId: fake.ownerId, repo: 'https://github.com/acme/pinned', branch: 'main', serviceDetails: { runtime: 'node', envSpecificDetails: { buildCommand: 'npm install', startCommand: 'npm start' } } }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { service: { id: string; autoDeploy: string; autoDeployTrigger: string } }).service;
}

describe('pinned deploys: a push to the branch never redeploys what Vector deployed', () => {
  it('leaves previews and production on their commits, while a service with auto-deploy builds the push', async () => {
    const projectId = `prj_pin_${Date.now()}`;
    const preview = await provider.deploy(deployInput('preview', sha(1), projectId));
    const production = await provider.deploy(deployInput('production', sha(2), projectId));
    const previewLive = await settle(provider, preview.providerDeploymentId);
    const productionLive = await settle(provider, production.providerDeploymentId);
    expect([previewLive.status, productionLive.status]).toEqual(['live', 'live']);
    for (const id of [preview.providerDeploymentId, production.providerDeploymentId]) {
      expect(fake.services.get(serviceOf(id))?.service).toMatchObject({ autoDeploy: 'no', autoDeployTrigger: 'off' });
    }
    // Render's default when a create omits autoDeploy: deploy every push.
    const other = await createAutoDeployingService('dashboard-made');
    expect(other).toMatchObject({ autoDeploy: 'yes', autoDeployTrigger: 'commit' });

    const pushed = fake.push({ repo: 'acme/pinned', branch: 'main', sha: sha(99) });
    expect(pushed.map((entry) => entry.serviceId)).toEqual([other.id]);
    expect(fake.services.get(other.id)?.deploys[0]?.deploy).toMatchObject({ trigger: 'new_commit', commit: { id: sha(99) } });
    for (const [id, commit, url] of [
      [preview.providerDeploymentId, sha(1), previewLive.url],
      [production.providerDeploymentId, sha(2), productionLive.url],
    ] as const) {
      const deploys = fake.services.get(serviceOf(id))?.deploys.map((entry) => entry.deploy) ?? [];
      expect(deploys.some((deploy) => deploy.commit?.id === sha(99))).toBe(false);
      expect(deploys.find((deploy) => deploy.status === 'live')?.commit?.id).toBe(commit);
      expect(await provider.getStatus({ providerDeploymentId: id })).toMatchObject({ status: 'live', url });
    }
  });

  it('turns auto-deploy off again on a production service where it was switched on', async () => {
    const projectId = `prj_pin_on_${Date.now()}`;
    const first = await provider.deploy(deployInput('production', sha(3), projectId));
    await settle(provider, first.providerDeploymentId);
    const serviceId = serviceOf(first.providerDeploymentId);
    // Someone enabled auto-deploy in the dashboard.
    const patched = await fetch(`${fake.baseUrl}/services/${serviceId}`, { method: 'PATCH', headers: { authorization: `Bearer ${fake.apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify({ autoDeployTrigger: 'commit' }) });
    expect(patched.status).toBe(200);
    expect(fake.push({ repo: 'acme/pinned', branch: 'main', sha: sha(98) }).map((entry) => entry.serviceId)).toContain(serviceId);

    const second = await provider.deploy(deployInput('production', sha(4), projectId));
    expect(serviceOf(second.providerDeploymentId)).toBe(serviceId);
    expect(fake.services.get(serviceId)?.service).toMatchObject({ autoDeploy: 'no', autoDeployTrigger: 'off' });
    expect(fake.push({ repo: 'acme/pinned', branch: 'main', sha: sha(97) }).map((entry) => entry.serviceId)).not.toContain(serviceId);
  });
});
