import { ProviderError, UnsupportedError, ValidationError, VectorError, type DeploymentProvider } from '@vector/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRenderProvider, RENDER_MARKER_ENV } from '../src/index.js';
import { startFakeRenderApi, type FakeRenderApi } from './fake-render-api.js';

const sha = (n: number) => n.toString(16).padStart(40, 'a');
// A Node server: the build plan makes it a web service.
const serverFiles = [
  { path: 'package.json', content: new TextEncoder().encode('{"name":"shop","scripts":{"start":"node server.js"}}\n') },
  { path: 'server.js', content: new TextEncoder().encode('require("http").createServer((_, res) => res.end("ok")).listen(process.env.PORT);\n') },
];
const gitSource = (commit: string) => ({
  git: { repositoryUrl: 'https://github.com/acme/app', owner: 'acme', repository: 'app', branch: 'main', commitSha: commit },
  getFiles: async () => serverFiles,
});
let counter = 0;
function deployInput(overrides: { environment?: 'preview' | 'production'; commit?: string; key?: string; projectId?: string; secrets?: Record<string, string> } = {}) {
  counter += 1;
  const key = overrides.key ?? `key-${counter}`;
  return {
    deploymentId: `dep_${key}`,
    idempotencyKey: key,
    project: { id: overrides.projectId ?? `prj_${counter}`, organizationId: 'org_1', name: 'My Shop!' },
    version: { id: `ver_${counter}`, number: 1, storageRef: overrides.commit ?? sha(counter) },
    environment: overrides.environment ?? 'preview',
    source: gitSource(overrides.commit ?? sha(counter)),
    env: { MODE: 'test' },
    secrets: overrides.secrets ?? { STRIPE_KEY: 'sk_live_supersecret' },
  };
}

async function settle(provider: DeploymentProvider, providerDeploymentId: string, max = 20) {
  const seen: string[] = [];
  for (let i = 0; i < max; i += 1) {
    const state = await provider.getStatus({ providerDeploymentId });
    seen.push(state.status);
    if (['live', 'failed', 'destroyed'].includes(state.status)) return { state, seen };
  }
  throw new Error(`did not settle: ${seen.join(',')}`);
}

describe('createRenderProvider against a fake Render API', () => {
  let fake: FakeRenderApi;
  let provider: DeploymentProvider;
  beforeAll(async () => {
    fake = await startFakeRenderApi();
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.setPollsPerStep(1);
    provider = createRenderProvider({ apiKey: fake.apiKey, baseUrl: fake.baseUrl, retry: { maxRetries: 3, baseDelayMs: 1, maxDelayMs: 50 } });
  });

  it('deploys a preview as its own web service built from the exact commit, with env vars and secrets', async () => {
    const input = deployInput();
    const state = await provider.deploy(input);
    expect(state.status).toBe('pending');
    expect(state.providerStatus).toBe('created');
    expect(state.url).toBeNull();
    const [, , serviceId] = state.providerDeploymentId.split(':');
    const service = fake.services.get(serviceId as string);
    expect(service?.service).toMatchObject({ type: 'web_service', repo: 'https://github.com/acme/app', branch: 'main', autoDeploy: 'no' });
    expect(service?.service.name).toMatch(/^vector-my-shop-pr-[0-9a-f]{10}$/);
    // The branch-head build Render starts on create is cancelled in favour of the commit.
    expect(service?.deploys.map((entry) => entry.deploy.status)).toEqual(['created', 'canceled']);
    expect(service?.deploys[0]?.deploy.commit?.id).toBe(input.source.git.commitSha);
    expect(service?.envVars.get('MODE')).toBe('test');
    expect(service?.envVars.get('STRIPE_KEY')).toBe('sk_live_supersecret');
    // The marker names the deploy that preceded ours (the cancelled branch-head build).
    expect(service?.envVars.get(RENDER_MARKER_ENV)).toBe(`${String(service?.envVars.get(RENDER_MARKER_ENV)).split(':')[0]}:${String(service?.deploys[1]?.deploy.id)}`);
    const { state: live, seen } = await settle(provider, state.providerDeploymentId);
    expect(seen).toEqual(['building', 'building', 'live']);
    expect(live.url).toBe(`https://${String(service?.service.slug)}.onrender.com`);
    expect(await provider.getUrl({ providerDeploymentId: state.providerDeploymentId })).toBe(live.url);
    expect(JSON.stringify(live)).not.toContain('supersecret');
  });

  it('finds the same service and deploy again for a repeated idempotency key', async () => {
    const input = deployInput();
    const first = await provider.deploy(input);
    const again = await createRenderProvider({ apiKey: fake.apiKey, baseUrl: fake.baseUrl }).deploy(input);
    expect(again.providerDeploymentId).toBe(first.providerDeploymentId);
    const serviceId = first.providerDeploymentId.split(':')[2] as string;
    expect(fake.services.get(serviceId)?.deploys).toHaveLength(2);
    expect([...fake.services.values()].filter((item) => item.service.name === fake.services.get(serviceId)?.service.name)).toHaveLength(1);
  });

  it('does not trigger a second deploy when the answer to the first was lost', async () => {
    const input = deployInput();
    fake.dropNextResponses(1, '/deploys');
    const before = fake.count('POST', /\/deploys$/);
    const state = await provider.deploy(input);
    expect(fake.count('POST', /\/deploys$/) - before).toBe(1);
    expect(state.providerStatus).toBe('created');
  });

  it('accepts a 202 without a body and finds the deploy it started', async () => {
    fake.acceptNextDeploysWith202();
    const input = deployInput();
    const state = await provider.deploy(input);
    const serviceId = state.providerDeploymentId.split(':')[2] as string;
    expect(state.providerDeploymentId.split(':')[3]).toBe(fake.services.get(serviceId)?.deploys[0]?.deploy.id);
  });

  it('reports a failed build as failed with Render’s status, and keeps build logs', async () => {
    // The first build is the cancelled branch-head one; the second is ours.
    fake.failNextBuilds(2);
    const state = await provider.deploy(deployInput());
    const { state: failed } = await settle(provider, state.providerDeploymentId);
    expect(failed).toMatchObject({ status: 'failed', providerStatus: 'build_failed', error: { code: 'RENDER_BUILD_FAILED' } });
    const logs = await provider.getLogs({ providerDeploymentId: state.providerDeploymentId, cursor: null });
    expect(logs.entries.at(-1)).toMatchObject({ level: 'error', source: 'build' });
  });

  it('keeps reporting building while a slow build progresses over polls', async () => {
    fake.setPollsPerStep(3);
    const state = await provider.deploy(deployInput());
    const { seen } = await settle(provider, state.providerDeploymentId, 30);
    expect(seen.filter((status) => status === 'pending').length).toBe(2);
    expect(seen.filter((status) => status === 'building').length).toBeGreaterThanOrEqual(4);
    expect(seen.at(-1)).toBe('live');
  });

  it('reads logs incrementally with a cursor, each line once', async () => {
    const state = await provider.deploy(deployInput());
    const id = state.providerDeploymentId;
    await provider.getStatus({ providerDeploymentId: id });
    const first = await provider.getLogs({ providerDeploymentId: id, cursor: null });
    expect(first.entries[0]?.message).toContain('Cloning');
    expect(first.entries[0]).toMatchObject({ level: 'info', source: 'build' });
    let cursor = first.cursor;
    const messages = first.entries.map((entry) => entry.message);
    for (let i = 0; i < 6; i += 1) {
      await provider.getStatus({ providerDeploymentId: id });
      const page = await provider.getLogs({ providerDeploymentId: id, cursor });
      messages.push(...page.entries.map((entry) => entry.message));
      cursor = page.cursor;
    }
    expect(messages.map((message) => message.replace(/ \(.*\)$/, '').replace(/commit \w+/, 'commit'))).toEqual([
      '==> Cloning from https://github.com/acme/app',
      '==> Checking out commit',
      '==> Running build command',
      '==> Build successful 🎉',
      '==> Deploying...',
      'Server listening on port 10000',
      '==> Your service is live 🎉',
    ]);
  });

  it('does not repeat or lose lines that share the cursor’s timestamp, across pages', async () => {
    const state = await provider.deploy(deployInput());
    const id = state.providerDeploymentId;
    await settle(provider, id);
    const before = await provider.getLogs({ providerDeploymentId: id, cursor: null });
    const serviceId = id.split(':')[2] as string;
    const base = Date.now() + 5;
    // 3 lines per millisecond, so page boundaries (100 lines) fall inside a timestamp.
    for (let i = 0; i < 240; i += 1) fake.addLog(serviceId, new Date(base + Math.floor(i / 3)).toISOString(), `burst ${i}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const first = await provider.getLogs({ providerDeploymentId: id, cursor: before.cursor });
    expect(first.entries.map((entry) => entry.message)).toEqual(Array.from({ length: 240 }, (_, i) => `burst ${i}`));
    fake.addLog(serviceId, new Date(base + 79).toISOString(), 'late same-ms line');
    const second = await provider.getLogs({ providerDeploymentId: id, cursor: first.cursor });
    expect(second.entries.map((entry) => entry.message)).toEqual(['late same-ms line']);
    const nothing = await provider.getLogs({ providerDeploymentId: id, cursor: second.cursor });
    expect(nothing).toEqual({ entries: [], cursor: second.cursor });
  });

  it('reports a service deleted behind its back as failed, never throwing or hanging', async () => {
    const state = await provider.deploy(deployInput());
    fake.deleteService(state.providerDeploymentId.split(':')[2] as string);
    const status = await provider.getStatus({ providerDeploymentId: state.providerDeploymentId });
    expect(status).toMatchObject({ status: 'failed', providerStatus: 'not_found', error: { code: 'RENDER_NOT_FOUND' } });
    expect(await provider.getLogs({ providerDeploymentId: state.providerDeploymentId, cursor: 'x' })).toEqual({ entries: [], cursor: 'x' });
    await provider.destroy({ providerDeploymentId: state.providerDeploymentId });
    expect((await provider.getStatus({ providerDeploymentId: state.providerDeploymentId })).status).toBe('destroyed');
  });

  it('destroys a preview by deleting its service, idempotently', async () => {
    const state = await provider.deploy(deployInput());
    const serviceId = state.providerDeploymentId.split(':')[2] as string;
    await provider.destroy({ providerDeploymentId: state.providerDeploymentId });
    expect(fake.services.has(serviceId)).toBe(false);
    await provider.destroy({ providerDeploymentId: state.providerDeploymentId });
    expect((await provider.getStatus({ providerDeploymentId: state.providerDeploymentId })).status).toBe('destroyed');
  });

  it('runs production as one service per project: a new deploy supersedes the old one without downtime', async () => {
    const projectId = `prj_prod_${Date.now()}`;
    const v1 = await provider.deploy(deployInput({ environment: 'production', projectId, commit: sha(101) }));
    await settle(provider, v1.providerDeploymentId);
    const v2 = await provider.deploy(deployInput({ environment: 'production', projectId, commit: sha(102) }));
    const serviceId = v1.providerDeploymentId.split(':')[2] as string;
    expect(v2.providerDeploymentId.split(':')[2]).toBe(serviceId);
    // While v2 builds, v1 still serves.
    expect((await provider.getStatus({ providerDeploymentId: v1.providerDeploymentId })).status).toBe('live');
    const { state: live2 } = await settle(provider, v2.providerDeploymentId);
    expect(live2.url).toBe((await provider.getStatus({ providerDeploymentId: v2.providerDeploymentId })).url);
    expect(await provider.getStatus({ providerDeploymentId: v1.providerDeploymentId })).toMatchObject({ status: 'destroyed', providerStatus: 'deactivated' });
    // Retiring the superseded deployment leaves the service serving v2.
    await provider.destroy({ providerDeploymentId: v1.providerDeploymentId });
    expect(fake.services.has(serviceId)).toBe(true);
    // Rollback: redeploying v1's commit is a new deploy on the same service.
    const rollback = await provider.deploy(deployInput({ environment: 'production', projectId, commit: sha(101) }));
    expect(rollback.providerDeploymentId).not.toBe(v1.providerDeploymentId);
    await settle(provider, rollback.providerDeploymentId);
    expect((await provider.getStatus({ providerDeploymentId: v2.providerDeploymentId })).status).toBe('destroyed');
    // Tearing down the live production deployment removes the service.
    await provider.destroy({ providerDeploymentId: rollback.providerDeploymentId });
    expect(fake.services.has(serviceId)).toBe(false);
    expect((await provider.getStatus({ providerDeploymentId: rollback.providerDeploymentId })).status).toBe('destroyed');
  });

  it('refuses a version without a Git source with an UnsupportedError naming the alternative', async () => {
    const input = { ...deployInput(), source: { git: null, getFiles: async () => [] } };
    const error = await provider.deploy(input).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnsupportedError);
    expect((error as UnsupportedError).message).toContain('@vector/storage-github');
    expect(provider.capabilities.sources).toEqual(['git']);
  });

  it('waits out 429 answers using Retry-After, then succeeds', async () => {
    const state = await provider.deploy(deployInput());
    fake.rateLimitNext(2, 0);
    expect((await provider.getStatus({ providerDeploymentId: state.providerDeploymentId })).status).toBe('building');
  });

  it('hands a long rate-limit wait to the caller as a retryable ProviderError with retryAfterMs', async () => {
    const state = await provider.deploy(deployInput());
    fake.rateLimitNext(1, 30);
    const error = await provider.getStatus({ providerDeploymentId: state.providerDeploymentId }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ status: 429, isRetryable: true, retryAfterMs: 30_000, provider: 'render' });
  });

  it('retries 5xx answers a bounded number of times, then fails retryably', async () => {
    const state = await provider.deploy(deployInput());
    fake.failNextRequests(2, 502);
    expect((await provider.getStatus({ providerDeploymentId: state.providerDeploymentId })).status).toBe('building');
    fake.failNextRequests(10, 503);
    const error = await provider.getStatus({ providerDeploymentId: state.providerDeploymentId }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'PROVIDER_ERROR', status: 503, isRetryable: true });
    fake.failNextRequests(0);
  });

  it('turns a deploy during an outage into a retryable ProviderError', async () => {
    fake.failNextRequests(10, 503);
    const error = await provider.deploy(deployInput()).catch((caught: unknown) => caught);
    fake.failNextRequests(0);
    expect(error).toMatchObject({ code: 'PROVIDER_ERROR', isRetryable: true });
  });

  it('fails with a non-retryable ProviderError on a bad key, without echoing the key', async () => {
    const bad = createRenderProvider({ apiKey: 'rnd_wrong_key', baseUrl: fake.baseUrl, ownerId: fake.ownerId, retry: { baseDelayMs: 1 } });
    const error = await bad.deploy(deployInput()).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 401, isRetryable: false });
    expect(JSON.stringify([(error as Error).message, (error as VectorError).details])).not.toContain('rnd_wrong_key');
  });

  it('never puts a secret value into an error, even if Render echoes it', async () => {
    const secret = 'sk_live_echoed_by_render';
    fake.rejectNextEnvVarsEchoingValue();
    const error = await provider.deploy(deployInput({ secrets: { STRIPE_KEY: secret } })).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'PROVIDER_ERROR', status: 400, isRetryable: false });
    expect((error as Error).message).toContain('[redacted]');
    expect(JSON.stringify([(error as Error).message, (error as VectorError).details, String((error as Error).cause ?? '')])).not.toContain(secret);
  });
});

describe('Render provider options', () => {
  it('requires an API key, falling back to RENDER_API_KEY', () => {
    const saved = process.env.RENDER_API_KEY;
    delete process.env.RENDER_API_KEY;
    expect(() => createRenderProvider({})).toThrow(ValidationError);
    process.env.RENDER_API_KEY = 'rnd_from_env';
    expect(createRenderProvider({}).name).toBe('render');
    if (saved === undefined) delete process.env.RENDER_API_KEY;
    else process.env.RENDER_API_KEY = saved;
  });

  it('rejects unknown options and bad enum values', () => {
    expect(() => createRenderProvider({ apiKey: 'k', region: 'mars' as 'ohio' })).toThrow(ValidationError);
    expect(() => createRenderProvider({ apiKey: 'k', ...({ colour: 'blue' } as object) })).toThrow(ValidationError);
  });

  it('asks for ownerId when the key sees several workspaces', async () => {
    const fake = await startFakeRenderApi({ owners: 2 });
    try {
      const provider = createRenderProvider({ apiKey: fake.apiKey, baseUrl: fake.baseUrl, retry: { baseDelayMs: 1 } });
      await expect(provider.deploy(deployInput())).rejects.toThrow(/sees 2 workspaces/);
      const chosen = createRenderProvider({ apiKey: fake.apiKey, baseUrl: fake.baseUrl, ownerId: fake.ownerId, retry: { baseDelayMs: 1 } });
      expect((await chosen.deploy(deployInput())).status).toBe('pending');
      expect(fake.requests.filter((item) => item.method === 'POST' && item.path === '/v1/services').map((item) => (item.body as { ownerId: string }).ownerId)).toEqual([fake.ownerId]);
    } finally {
      await fake.close();
    }
  });
});
