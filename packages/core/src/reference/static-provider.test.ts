import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeText } from '../files/content.js';
import type { DeploymentProvider, DeploymentSource } from '../plugins/deployment-provider.js';
import type { SourceFile } from '../schemas/source-file.js';
import { deploymentProviderConformance } from '../testing/deployment-provider-conformance.js';
import { createStaticProvider, type StaticProviderOptions } from './static-provider.js';

deploymentProviderConformance({
  name: 'static',
  create: async () => ({ provider: createStaticProvider() }),
  checkUrl: true,
  pollIntervalMs: 5,
});
deploymentProviderConformance({
  name: 'static with a build delay',
  create: async () => ({ provider: createStaticProvider({ name: 'slow-static', buildDelayMs: 30 }) }),
  checkUrl: true,
  pollIntervalMs: 10,
});

const files = (entries: Record<string, string | Uint8Array>): SourceFile[] =>
  Object.entries(entries).map(([path, content]) => ({ path, content: typeof content === 'string' ? encodeText(content) : content }));
const source = (list: SourceFile[] | (() => Promise<SourceFile[]>)): DeploymentSource => ({ git: null, getFiles: typeof list === 'function' ? list : async () => list });

/** GET with the path sent exactly as given (fetch would normalise `..` away). */
function rawGet(url: string, path: string, method = 'GET'): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: hostname, port, path, method }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: response.headers }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

describe('createStaticProvider', () => {
  const providers: DeploymentProvider[] = [];
  const make = (options: StaticProviderOptions = {}) => {
    const provider = createStaticProvider(options);
    providers.push(provider);
    return provider;
  };
  afterEach(async () => {
    await Promise.all(providers.splice(0).map((provider) => provider.dispose?.()));
  });

  async function deploy(provider: DeploymentProvider, list: SourceFile[] | (() => Promise<SourceFile[]>), extra: { secrets?: Record<string, string>; key?: string } = {}) {
    return provider.deploy({
      deploymentId: 'd1',
      idempotencyKey: extra.key ?? `key-${Math.random()}`,
      project: { id: 'p1', organizationId: 'o1', name: 'Site' },
      version: { id: 'v1', number: 3, storageRef: 'ref' },
      environment: 'preview',
      source: source(list),
      env: { MODE: 'preview' },
      secrets: extra.secrets ?? {},
    });
  }

  async function settle(provider: DeploymentProvider, id: string) {
    for (let attempt = 0; attempt < 2000; attempt += 1) {
      const state = await provider.getStatus({ providerDeploymentId: id });
      if (state.status !== 'pending' && state.status !== 'building') return state;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    throw new Error('deployment did not settle');
  }

  it('serves the files with content types, index.html at / and for directories, 404 otherwise', async () => {
    const provider = make();
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 1, 2]);
    const deployed = await deploy(provider, files({ 'index.html': '<h1>home</h1>', 'style.css': 'h1{}', 'docs/index.html': 'docs', 'img/logo.png': png, 'data.json': '{}' }));
    expect(deployed.status).toBe('pending');
    const live = await settle(provider, deployed.providerDeploymentId);
    expect(live).toMatchObject({ status: 'live', providerStatus: 'serving', url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/$/) });
    const url = live.url as string;
    const home = await fetch(url);
    expect([home.status, home.headers.get('content-type'), await home.text()]).toEqual([200, 'text/html; charset=utf-8', '<h1>home</h1>']);
    expect((await fetch(`${url}style.css`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await (await fetch(`${url}docs`)).text()).toBe('docs');
    expect(await (await fetch(`${url}docs/`)).text()).toBe('docs');
    const image = await fetch(`${url}img/logo.png`);
    expect(image.headers.get('content-type')).toBe('image/png');
    expect(new Uint8Array(await image.arrayBuffer())).toEqual(png);
    expect((await fetch(`${url}missing.js`)).status).toBe(404);
    expect((await fetch(url, { method: 'POST' })).status).toBe(405);
    const head = await rawGet(url, '/data.json', 'HEAD');
    expect([head.status, head.body, head.headers['content-length']]).toEqual([200, '', '2']);
  });

  it('refuses path traversal: only the deployed files are reachable', async () => {
    const provider = make();
    const live = await settle(provider, (await deploy(provider, files({ 'index.html': 'home', 'public/a.txt': 'a' }))).providerDeploymentId);
    const url = live.url as string;
    for (const path of ['/../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2fetc%2fpasswd', '/public/%2e%2e/%2e%2e/package.json', '/public/..%5c..%5cindex.html', '/%2e%2e%5cetc%5cpasswd', '//etc/passwd']) {
      const response = await rawGet(url, path);
      expect(response.status, path).toBeGreaterThanOrEqual(400);
      expect(response.body, path).not.toContain('root:');
    }
    expect((await rawGet(url, '/%E0%A4%A')).status).toBe(400);
    expect((await rawGet(url, '/public/a.txt')).body).toBe('a');
  });

  it('fails with a clear error when the version has no files, or they cannot be loaded', async () => {
    const provider = make();
    const empty = await settle(provider, (await deploy(provider, [])).providerDeploymentId);
    expect(empty).toMatchObject({ status: 'failed', url: null, error: { code: 'NO_FILES', message: 'The version has no files to serve' } });
    const secret = 'hunter2-secret-value';
    const broken = await deploy(provider, async () => {
      throw new Error(`storage unreachable (token ${secret})`);
    }, { secrets: { TOKEN: secret } });
    const failed = await settle(provider, broken.providerDeploymentId);
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'SOURCE_UNAVAILABLE' } });
    expect(failed.error?.message).toContain('storage unreachable');
    expect(JSON.stringify(failed)).not.toContain(secret);
    expect(JSON.stringify(await provider.getLogs({ providerDeploymentId: broken.providerDeploymentId, cursor: null }))).not.toContain(secret);
  });

  it('logs the build and each request incrementally, naming secrets but never their values', async () => {
    const provider = make();
    const deployed = await deploy(provider, files({ 'index.html': 'home', 'a.js': 'a' }), { secrets: { API_KEY: 'value-never-logged' } });
    const live = await settle(provider, deployed.providerDeploymentId);
    const first = await provider.getLogs({ providerDeploymentId: deployed.providerDeploymentId, cursor: null });
    const messages = first.entries.map((entry) => entry.message);
    expect(messages).toContain('received 2 files (5 bytes)');
    expect(messages).toContain(`listening on ${live.url}`);
    expect(messages.join('\n')).toContain('API_KEY (secret)');
    expect(messages.join('\n')).not.toContain('value-never-logged');
    await fetch(`${live.url}a.js`);
    const second = await provider.getLogs({ providerDeploymentId: deployed.providerDeploymentId, cursor: first.cursor });
    expect(second.entries.map((entry) => [entry.source, entry.message])).toEqual([['runtime', 'GET /a.js 200']]);
    expect((await provider.getLogs({ providerDeploymentId: deployed.providerDeploymentId, cursor: second.cursor })).entries).toEqual([]);
    await expect(provider.getLogs({ providerDeploymentId: deployed.providerDeploymentId, cursor: 'nonsense' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('keeps cursors valid when old log entries are dropped', async () => {
    const provider = make({ maxLogEntries: 10 });
    const deployed = await deploy(provider, files({ 'index.html': 'home' }));
    const live = await settle(provider, deployed.providerDeploymentId);
    const before = await provider.getLogs({ providerDeploymentId: deployed.providerDeploymentId, cursor: null });
    for (let index = 0; index < 15; index += 1) await fetch(`${live.url}page-${index}`);
    const after = await provider.getLogs({ providerDeploymentId: deployed.providerDeploymentId, cursor: before.cursor });
    expect(after.entries).toHaveLength(10);
    expect(after.entries.at(-1)?.message).toBe('GET /page-14 404');
    const count = (cursor: string | null) => Number(cursor?.split(':')[1]);
    expect(count(after.cursor) - count(before.cursor)).toBe(15);
  });

  it('destroys idempotently, closing the server, and dispose closes every server', async () => {
    const provider = make();
    const a = await settle(provider, (await deploy(provider, files({ 'index.html': 'a' }))).providerDeploymentId);
    const b = await settle(provider, (await deploy(provider, files({ 'index.html': 'b' }))).providerDeploymentId);
    expect(a.url).not.toBe(b.url);
    await provider.destroy({ providerDeploymentId: a.providerDeploymentId });
    await provider.destroy({ providerDeploymentId: a.providerDeploymentId });
    expect(await provider.getStatus({ providerDeploymentId: a.providerDeploymentId })).toMatchObject({ status: 'destroyed', url: null });
    expect(await provider.getUrl({ providerDeploymentId: a.providerDeploymentId })).toBeNull();
    await expect(fetch(a.url as string)).rejects.toThrow();
    expect(await (await fetch(b.url as string)).text()).toBe('b');
    await provider.dispose?.();
    await expect(fetch(b.url as string)).rejects.toThrow();
    await expect(deploy(provider, files({ 'index.html': 'c' }))).rejects.toThrow(/disposed/);
  });

  it('does not go live when destroyed during the build', async () => {
    const provider = make({ buildDelayMs: 50 });
    const deployed = await deploy(provider, files({ 'index.html': 'a' }));
    await provider.destroy({ providerDeploymentId: deployed.providerDeploymentId });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await provider.getStatus({ providerDeploymentId: deployed.providerDeploymentId })).toMatchObject({ status: 'destroyed', url: null });
  });

  it('reuses the deployment for a repeated idempotency key and reports unknown ids as failed', async () => {
    const provider = make();
    const first = await deploy(provider, files({ 'index.html': 'a' }), { key: 'same' });
    const second = await deploy(provider, files({ 'index.html': 'b' }), { key: 'same' });
    expect(second.providerDeploymentId).toBe(first.providerDeploymentId);
    expect(await provider.getStatus({ providerDeploymentId: 'static-missing' })).toMatchObject({ status: 'failed', error: { code: 'DEPLOYMENT_NOT_FOUND' } });
    expect(await provider.getLogs({ providerDeploymentId: 'static-missing', cursor: null })).toEqual({ entries: [], cursor: null });
    await provider.destroy({ providerDeploymentId: 'static-missing' });
  });

  it('offers only the configured environments and validates options', async () => {
    const provider = make({ environments: ['preview'] });
    expect(provider.capabilities.environments).toEqual(['preview']);
    await expect(
      provider.deploy({
        deploymentId: 'd',
        idempotencyKey: 'k',
        project: { id: 'p', organizationId: 'o', name: 'n' },
        version: { id: 'v', number: 1, storageRef: 'r' },
        environment: 'production',
        source: source([]),
        env: {},
        secrets: {},
      }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(() => createStaticProvider({ buildDelayMs: -5 })).toThrow(/buildDelayMs/);
  });
});
