import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CancelledError, ProviderError, type DeploymentSource } from '@vector/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRailwayProvider, type RailwayProvider } from '../src/index.js';
import { startFakeRailway, type FakeRailway } from './fake-railway-api.js';
import { losingFirstAnswerTo, serverFiles } from './railway-fixture.js';

const SHA = 'a'.repeat(40);
let fake: FakeRailway;
let silent: Server;
let silentUrl: string;
let counter = 0;

function gitSource(): DeploymentSource {
  return { git: { repositoryUrl: 'https://github.com/acme/app', owner: 'acme', repository: 'app', branch: 'main', commitSha: SHA }, getFiles: async () => serverFiles };
}

function makeProvider(overrides: Parameters<typeof createRailwayProvider>[0] = {}): RailwayProvider {
  return createRailwayProvider({ token: fake.token, baseUrl: fake.url, workspaceId: fake.workspaceId, retry: { maxRetries: 3, baseDelayMs: 1, maxDelayMs: 20 }, ...overrides });
}

function deployInput(projectId = 'proj-review'): Parameters<RailwayProvider['deploy']>[0] {
  counter += 1;
  return {
    deploymentId: `dep-${counter}`,
    idempotencyKey: `review-${counter}`,
    project: { id: projectId, organizationId: 'org-1', name: 'Review' },
    version: { id: 'ver-1', number: 1, storageRef: SHA },
    environment: 'preview',
    source: gitSource(),
    env: {},
    secrets: {},
  };
}

async function readAll(provider: RailwayProvider, providerDeploymentId: string, cursor: string | null) {
  const page = await provider.getLogs({ providerDeploymentId, cursor });
  return { messages: page.entries.map((entry) => entry.message), entries: page.entries, cursor: page.cursor };
}

beforeAll(async () => {
  fake = await startFakeRailway();
  fake.addRepo('acme/app', 'any');
  silent = createServer(() => {
    // never answers
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/graphql/v2`;
});
afterAll(async () => {
  silent.closeAllConnections();
  await new Promise<void>((resolve) => silent.close(() => resolve()));
  await fake.close();
});

describe('logs: Railway returns the newest `limit` lines of the window', () => {
  it('loses no line when far more than a page arrives between reads', async () => {
    // 1200 lines need about 7 pages of 200 (the inclusive window end repeats one line per page).
    const provider = makeProvider({ logPageSize: 200 });
    const state = await provider.deploy(deployInput());
    const deploymentId = [...fake.deployments.keys()].at(-1) as string;
    fake.appendLogs(deploymentId, 'buildLogs', 1200, 'build');
    const first = await readAll(provider, state.providerDeploymentId, null);
    expect(first.messages).toEqual(Array.from({ length: 1200 }, (_, index) => `build ${index}`));
    fake.appendLogs(deploymentId, 'buildLogs', 250, 'more');
    fake.appendLogs(deploymentId, 'deployLogs', 130, 'app');
    const second = await readAll(provider, state.providerDeploymentId, first.cursor);
    expect(second.messages).toEqual([...Array.from({ length: 250 }, (_, index) => `more ${index}`), ...Array.from({ length: 130 }, (_, index) => `app ${index}`)]);
    expect(second.entries.filter((entry) => entry.source === 'runtime')).toHaveLength(130);
    const third = await readAll(provider, state.providerDeploymentId, second.cursor);
    expect(third.messages).toEqual([]);
  });

  it('says so with a warn entry when more lines arrived than its page budget holds', async () => {
    const provider = makeProvider({ logPageSize: 10, logMaxPagesPerRead: 2 });
    const state = await provider.deploy(deployInput());
    const deploymentId = [...fake.deployments.keys()].at(-1) as string;
    fake.appendLogs(deploymentId, 'buildLogs', 50, 'burst');
    const page = await readAll(provider, state.providerDeploymentId, null);
    expect(page.entries[0]).toMatchObject({ level: 'warn', source: 'build' });
    // Two pages of 10 that share their boundary line: the newest 19 lines, contiguous.
    expect(page.messages.slice(1)).toEqual(Array.from({ length: 19 }, (_, index) => `burst ${index + 31}`));
  });
});

describe('requests', () => {
  it('times out a silent server with a retryable ProviderError', async () => {
    const provider = createRailwayProvider({ token: 't', baseUrl: silentUrl, requestTimeoutMs: 100, retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 5 } });
    const error = await provider.deploy(deployInput()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ isRetryable: true, details: { reason: 'timeout' } });
  });

  it('surfaces an abort as CancelledError, not a DOMException', async () => {
    const provider = createRailwayProvider({ token: 't', baseUrl: silentUrl });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const error = await provider.deploy({ ...deployInput(), signal: controller.signal }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CancelledError);
  });

  it('marks a network failure of a mutation retryable without repeating the mutation', async () => {
    const flaky = losingFirstAnswerTo('serviceCreate');
    const provider = makeProvider({ fetch: flaky });
    const input = deployInput();
    const creates = fake.calls.filter((call) => call === 'serviceCreate').length;
    const error = await provider.deploy(input).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ isRetryable: true, details: { reason: 'network' } });
    expect(fake.calls.filter((call) => call === 'serviceCreate').length).toBe(creates + 1);
    // The engine's retry finds the service the lost answer created.
    const services = fake.services.size;
    expect((await provider.deploy(input)).status).toBe('pending');
    expect(fake.services.size).toBe(services);
  });
});

describe('project lookup cache', () => {
  it('looks the project up again once Railway says it no longer exists', async () => {
    const provider = makeProvider({ retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 5 } });
    await provider.deploy(deployInput('proj-cache'));
    for (const [id, project] of fake.projects) if (project.name === 'vector-proj-cache') fake.projects.delete(id);
    const state = await provider.deploy(deployInput('proj-cache'));
    expect(state.status).toBe('pending');
    expect([...fake.projects.values()].filter((project) => project.name === 'vector-proj-cache')).toHaveLength(1);
    // A deploy failing for another reason is not repeated.
    const error = await provider.deploy({ ...deployInput('proj-cache'), source: { ...gitSource(), git: { ...gitSource().git!, repositoryUrl: 'https://github.com/acme/none', repository: 'none' } } }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
  });
});
