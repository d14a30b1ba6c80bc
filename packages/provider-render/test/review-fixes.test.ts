import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CancelledError, ProviderError, type DeploymentProvider } from '@vector/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRenderProvider } from '../src/index.js';
import { startFakeRenderApi, type FakeRenderApi } from './fake-render-api.js';

const sha = (n: number) => n.toString(16).padStart(40, 'a');
// A Node server: the build plan makes it a web service.
const serverFiles = [
  { path: 'package.json', content: new TextEncoder().encode('{"name":"app","scripts":{"start":"node server.js"}}\n') },
  { path: 'server.js', content: new TextEncoder().encode('require("http").createServer((_, res) => res.end("ok")).listen(process.env.PORT);\n') },
];
let counter = 0;
function deployInput(environment: 'preview' | 'production', commit: string, projectId = `prj_review_${counter}`) {
  counter += 1;
  const key = `review-${counter}`;
  return {
    deploymentId: `dep_${key}`,
    idempotencyKey: key,
    project: { id: projectId, organizationId: 'org_1', name: 'Review' },
    version: { id: `ver_${key}`, number: 1, storageRef: commit },
    environment,
    source: { git: { repositoryUrl: 'https://github.com/acme/app', owner: 'acme', repository: 'app', branch: 'main', commitSha: commit }, getFiles: async () => serverFiles },
    env: { MODE: key },
    secrets: { SECRET: `secret-${key}` },
  };
}

async function settle(provider: DeploymentProvider, providerDeploymentId: string) {
  for (let poll = 0; poll < 20; poll += 1) {
    const state = await provider.getStatus({ providerDeploymentId });
    if (['live', 'failed', 'destroyed'].includes(state.status)) return state;
  }
  throw new Error('did not settle');
}

const serviceOf = (providerDeploymentId: string) => providerDeploymentId.split(':')[2] as string;
const deployOf = (providerDeploymentId: string) => providerDeploymentId.split(':')[3] as string;

let fake: FakeRenderApi;
let provider: DeploymentProvider;
let silent: Server;
let silentUrl: string;

beforeAll(async () => {
  fake = await startFakeRenderApi();
  silent = createServer(() => {
    // never answers
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  silent.closeAllConnections();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
  await fake.close();
});
beforeEach(() => {
  provider = createRenderProvider({ apiKey: fake.apiKey, baseUrl: fake.baseUrl, retry: { maxRetries: 3, baseDelayMs: 1, maxDelayMs: 50 } });
});

describe('destroying a live production deploy that a newer deploy is replacing', () => {
  it('reports it destroyed at once, and Render takes it down when the newer one goes live', async () => {
    const projectId = `prj_replace_${counter}`;
    const a = await provider.deploy(deployInput('production', sha(1), projectId));
    expect((await settle(provider, a.providerDeploymentId)).status).toBe('live');
    const b = await provider.deploy(deployInput('production', sha(2), projectId));
    await provider.destroy({ providerDeploymentId: a.providerDeploymentId });
    expect(await provider.getStatus({ providerDeploymentId: a.providerDeploymentId })).toMatchObject({ status: 'destroyed', url: null });
    expect((await settle(provider, b.providerDeploymentId)).status).toBe('live');
    const service = fake.services.get(serviceOf(a.providerDeploymentId));
    expect(service?.deploys.find((entry) => entry.deploy.id === deployOf(a.providerDeploymentId))?.deploy.status).toBe('deactivated');
  });

  it('deletes the service when the newer deploy fails, so the destroyed one stops serving', async () => {
    const projectId = `prj_fail_${counter}`;
    const a = await provider.deploy(deployInput('production', sha(3), projectId));
    expect((await settle(provider, a.providerDeploymentId)).status).toBe('live');
    fake.failNextBuilds(1);
    const b = await provider.deploy(deployInput('production', sha(4), projectId));
    await provider.destroy({ providerDeploymentId: a.providerDeploymentId });
    expect(fake.services.has(serviceOf(a.providerDeploymentId))).toBe(true);
    expect((await settle(provider, b.providerDeploymentId)).status).toBe('failed');
    expect(fake.services.has(serviceOf(a.providerDeploymentId))).toBe(false);
  });
});

describe('a lost POST /services answer', () => {
  it('is not repeated, and the branch-head deploy the service started is cancelled', async () => {
    fake.dropNextResponses(1, 'POST /v1/services');
    const creates = fake.count('POST', /^\/v1\/services$/);
    const state = await provider.deploy(deployInput('preview', sha(5)));
    expect(fake.count('POST', /^\/v1\/services$/)).toBe(creates + 1);
    const service = fake.services.get(serviceOf(state.providerDeploymentId));
    const foreign = service?.deploys.filter((entry) => entry.deploy.commit?.id !== sha(5)) ?? [];
    expect(foreign.map((entry) => entry.deploy.status)).toEqual(['canceled']);
    expect((await settle(provider, state.providerDeploymentId)).status).toBe('live');
  });
});

describe('requests', () => {
  it('time out against a silent server with a retryable ProviderError', async () => {
    const silentProvider = createRenderProvider({ apiKey: 'k', ownerId: 'tea-x', baseUrl: silentUrl, requestTimeoutMs: 100, retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 5 } });
    const error = await silentProvider.getStatus({ providerDeploymentId: 'render:preview:srv-1:dep-1' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ isRetryable: true, details: { reason: 'timeout' } });
  });

  it('deploy honours its AbortSignal on every call, surfacing CancelledError', async () => {
    const patient = createRenderProvider({ apiKey: fake.apiKey, baseUrl: fake.baseUrl, retry: { maxRetries: 3, baseDelayMs: 1, maxDelayMs: 5000 } });
    fake.rateLimitNext(2, 2);
    const services = fake.services.size;
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await patient.deploy({ ...deployInput('preview', sha(6)), signal: controller.signal }).catch((caught: unknown) => caught);
    fake.rateLimitNext(0);
    expect(error).toBeInstanceOf(CancelledError);
    expect(fake.services.size).toBe(services);
  });

  it('an abort during a request is a CancelledError, not a DOMException', async () => {
    const silentProvider = createRenderProvider({ apiKey: 'k', ownerId: 'tea-x', baseUrl: silentUrl });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const error = await silentProvider.deploy({ ...deployInput('preview', sha(7)), signal: controller.signal }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CancelledError);
  });
});
