import { NotFoundError, ProviderError, UnsupportedError, ValidationError, type DeploymentSource, type ProviderDeploymentState } from '@vector/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRailwayProvider, mapRailwayStatus, RAILWAY_DEPLOYMENT_STATUSES, type RailwayProvider } from '../src/index.js';
import { startFakeRailway, type FakeRailway } from './fake-railway-api.js';
import { serverFiles } from './railway-fixture.js';

const SHA_V1 = 'a'.repeat(40);
const SHA_V2 = 'b'.repeat(40);

function gitSource(commitSha = SHA_V1): DeploymentSource {
  return {
    git: { repositoryUrl: 'https://github.com/acme/app', owner: 'acme', repository: 'app', branch: 'main', commitSha },
    getFiles: async () => serverFiles,
  };
}

let fake: FakeRailway;
let provider: RailwayProvider;
let counter = 0;

function makeProvider(overrides: Parameters<typeof createRailwayProvider>[0] = {}) {
  return createRailwayProvider({ token: fake.token, baseUrl: fake.url, workspaceId: fake.workspaceId, retry: { maxRetries: 3, baseDelayMs: 1, maxDelayMs: 50 }, ...overrides });
}

function deployInput(overrides: Partial<Parameters<RailwayProvider['deploy']>[0]> = {}): Parameters<RailwayProvider['deploy']>[0] {
  counter += 1;
  return {
    deploymentId: `dep-${counter}`,
    idempotencyKey: `key-${counter}`,
    project: { id: 'proj-1', organizationId: 'org-1', name: 'Site' },
    version: { id: 'ver-1', number: 1, storageRef: SHA_V1 },
    environment: 'preview',
    source: gitSource(),
    env: { MODE: 'preview' },
    secrets: { API_KEY: 'super-secret-value' },
    ...overrides,
  };
}

async function pollUntilSettled(state: ProviderDeploymentState): Promise<{ final: ProviderDeploymentState; seen: string[] }> {
  const seen = [state.providerStatus];
  let current = state;
  for (let poll = 0; poll < 50 && !['live', 'failed', 'destroyed'].includes(current.status); poll += 1) {
    current = await provider.getStatus({ providerDeploymentId: current.providerDeploymentId });
    seen.push(current.providerStatus);
  }
  return { final: current, seen };
}

beforeAll(async () => {
  fake = await startFakeRailway();
  fake.addRepo('acme/app', [SHA_V1, SHA_V2]);
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  provider = makeProvider();
  fake.setSlowBuilds(0);
});

describe('mapRailwayStatus', () => {
  it('maps every Railway status onto core statuses', () => {
    const mapped = Object.fromEntries(RAILWAY_DEPLOYMENT_STATUSES.map((status) => [status, mapRailwayStatus(status)]));
    expect(mapped).toEqual({
      BUILDING: 'building',
      CRASHED: 'failed',
      DEPLOYING: 'building',
      FAILED: 'failed',
      INITIALIZING: 'pending',
      NEEDS_APPROVAL: 'pending',
      QUEUED: 'pending',
      REMOVED: 'destroyed',
      REMOVING: 'destroyed',
      SKIPPED: 'failed',
      SLEEPING: 'live',
      SUCCESS: 'live',
      WAITING: 'pending',
    });
    expect(mapRailwayStatus('SOMETHING_NEW')).toBe('building');
  });
});

describe('createRailwayProvider options', () => {
  it('requires a token and falls back to RAILWAY_API_TOKEN', () => {
    const previous = process.env.RAILWAY_API_TOKEN;
    delete process.env.RAILWAY_API_TOKEN;
    try {
      expect(() => createRailwayProvider({ baseUrl: fake.url })).toThrow(ValidationError);
      process.env.RAILWAY_API_TOKEN = 'from-env';
      expect(createRailwayProvider({ baseUrl: fake.url }).name).toBe('railway');
    } finally {
      if (previous === undefined) delete process.env.RAILWAY_API_TOKEN;
      else process.env.RAILWAY_API_TOKEN = previous;
    }
  });

  it('declares git-only sources, both environments and logs', () => {
    expect(provider.capabilities).toEqual({ environments: ['preview', 'production'], sources: ['git'], logs: true });
  });
});

describe('railway provider against the fake API', () => {
  it('deploys a commit, walks Railway statuses to live with a URL, and sets env vars and secrets', async () => {
    const input = deployInput();
    const state = await provider.deploy(input);
    expect(state.status).toBe('pending');
    const { final, seen } = await pollUntilSettled(state);
    expect(final.status).toBe('live');
    expect(seen).toEqual(['QUEUED', 'QUEUED', 'INITIALIZING', 'BUILDING', 'DEPLOYING', 'SUCCESS']);
    expect(final.url).toMatch(/^https:\/\/vector-preview-[0-9a-f]{16}-production-.+\.up\.railway\.app$/);
    expect(await provider.getUrl({ providerDeploymentId: state.providerDeploymentId })).toBe(final.url);
    const service = [...fake.services.values()].find((candidate) => final.url?.includes(candidate.name));
    expect(service?.variables).toEqual({ MODE: 'preview', API_KEY: 'super-secret-value' });
    expect(service?.repo).toBe('acme/app');
    expect(JSON.stringify(final)).not.toContain('super-secret-value');
    // One Railway project per Vector project, reused.
    expect([...fake.projects.values()].filter((project) => project.name === 'vector-proj-1')).toHaveLength(1);
  });

  it('is idempotent: a retried deploy with the same key creates no second service or deployment', async () => {
    const input = deployInput();
    const first = await provider.deploy(input);
    const services = fake.services.size;
    const deployments = fake.deployments.size;
    const again = await makeProvider().deploy({ ...input });
    expect(again.providerDeploymentId).toBe(first.providerDeploymentId);
    expect(fake.services.size).toBe(services);
    expect(fake.deployments.size).toBe(deployments);
  });

  it('reports a failing build as failed with Railway status and error logs', async () => {
    fake.failNextBuild();
    const state = await provider.deploy(deployInput());
    const { final } = await pollUntilSettled(state);
    expect(final.status).toBe('failed');
    expect(final.providerStatus).toBe('FAILED');
    expect(final.error?.code).toBe('RAILWAY_FAILED');
    const logs = await provider.getLogs({ providerDeploymentId: state.providerDeploymentId, cursor: null });
    expect(logs.entries.at(-1)).toMatchObject({ level: 'error', source: 'build', message: 'npm ERR! build script failed' });
  });

  it('keeps a slow build building across polls', async () => {
    fake.setSlowBuilds(4);
    const { final, seen } = await pollUntilSettled(await provider.deploy(deployInput()));
    expect(final.status).toBe('live');
    expect(seen.filter((status) => status === 'BUILDING')).toHaveLength(5);
  });

  it('fetches logs incrementally with a cursor, including lines that share a timestamp', async () => {
    const state = await provider.deploy(deployInput());
    const first = await provider.getLogs({ providerDeploymentId: state.providerDeploymentId, cursor: null });
    expect(first).toEqual({ entries: [], cursor: null });
    // QUEUED → INITIALIZING → BUILDING: the first build lines appear.
    await provider.getStatus({ providerDeploymentId: state.providerDeploymentId });
    await provider.getStatus({ providerDeploymentId: state.providerDeploymentId });
    const page1 = await provider.getLogs({ providerDeploymentId: state.providerDeploymentId, cursor: null });
    expect(page1.entries.map((entry) => entry.message)).toEqual(['Cloning ' + SHA_V1, 'Using Railpack', 'npm install']);
    expect(page1.entries[0]?.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    const unchanged = await provider.getLogs({ providerDeploymentId: state.providerDeploymentId, cursor: page1.cursor });
    expect(unchanged).toEqual({ entries: [], cursor: page1.cursor });
    await pollUntilSettled(await provider.getStatus({ providerDeploymentId: state.providerDeploymentId }));
    const page2 = await provider.getLogs({ providerDeploymentId: state.providerDeploymentId, cursor: page1.cursor });
    expect(page2.entries.map((entry) => `${entry.source}:${entry.message}`)).toEqual(['build:Build time: 3s', 'runtime:Listening on 8080']);
  });

  it('rejects raw files with UnsupportedError naming GitHub storage', async () => {
    const error = await provider.deploy(deployInput({ source: { git: null, getFiles: async () => [] } })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnsupportedError);
    expect((error as Error).message).toContain('@vector/storage-github');
  });

  it('fails a deploy of an unknown commit with a non-retryable ProviderError', async () => {
    const error = await provider.deploy(deployInput({ source: gitSource('c'.repeat(40)) })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).isRetryable).toBe(false);
    expect((error as ProviderError).message).toContain('Commit not found');
  });

  it('retries 429 answers honouring Retry-After, then succeeds', async () => {
    fake.rateLimitNext(2, 0);
    const state = await provider.deploy(deployInput());
    expect(state.status).toBe('pending');
  });

  it('surfaces a long Retry-After as a retryable ProviderError with retryAfterMs', async () => {
    const state = await provider.deploy(deployInput());
    fake.rateLimitNext(1, 30);
    const error = await provider.getStatus({ providerDeploymentId: state.providerDeploymentId }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ status: 429, isRetryable: true, retryAfterMs: 30_000 });
  });

  it('retries 5xx on reads and gives up after maxRetries with a retryable error', async () => {
    const state = await provider.deploy(deployInput());
    fake.failNext(2, 502);
    expect((await provider.getStatus({ providerDeploymentId: state.providerDeploymentId })).status).toBe('pending');
    fake.failNext(10, 500);
    const error = await provider.getStatus({ providerDeploymentId: state.providerDeploymentId }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 500, isRetryable: true });
    fake.failNext(0);
  });

  it('rejects a bad token without leaking it', async () => {
    const error = await makeProvider({ token: 'wrong-token-value' }).deploy(deployInput()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ isRetryable: false });
    expect(JSON.stringify({ message: (error as Error).message, details: (error as ProviderError).details })).not.toContain('wrong-token-value');
  });

  it('reports a deployment deleted behind its back as failed, never hanging', async () => {
    const state = await provider.deploy(deployInput());
    const deploymentId = [...fake.deployments.keys()].at(-1) as string;
    fake.vanishDeployment(deploymentId);
    const status = await provider.getStatus({ providerDeploymentId: state.providerDeploymentId });
    expect(status).toMatchObject({ status: 'failed', providerStatus: 'NOT_FOUND', error: { code: 'RAILWAY_NOT_FOUND' } });
    expect(await provider.getLogs({ providerDeploymentId: state.providerDeploymentId, cursor: null })).toEqual({ entries: [], cursor: null });
  });

  it('destroys by deleting the service, idempotently, and then reports destroyed', async () => {
    const state = await provider.deploy(deployInput({ environment: 'production' }));
    await pollUntilSettled(state);
    const services = fake.services.size;
    await provider.destroy({ providerDeploymentId: state.providerDeploymentId });
    expect(fake.services.size).toBe(services - 1);
    await provider.destroy({ providerDeploymentId: state.providerDeploymentId });
    expect(await provider.getStatus({ providerDeploymentId: state.providerDeploymentId })).toMatchObject({ status: 'destroyed', url: null });
    // Another instance (another process) sees Railway's REMOVED status.
    expect((await makeProvider().getStatus({ providerDeploymentId: state.providerDeploymentId })).status).toBe('destroyed');
  });

  it('reports a provider deployment id it did not make as failed, and refuses to act on it', async () => {
    expect(await provider.getStatus({ providerDeploymentId: 'srv-123' })).toMatchObject({ status: 'failed', error: { code: 'RAILWAY_NOT_FOUND' } });
    await expect(provider.destroy({ providerDeploymentId: 'srv-123' })).rejects.toBeInstanceOf(NotFoundError);
  });
});
