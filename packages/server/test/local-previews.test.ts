import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValidationError } from '@vector/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeServerApp, sourceFiles } from '../../provider-local/test/sample-apps.js';
import { loadConfig, type PreviewSource } from '../src/index.js';
import { createRuntime } from '../src/runtime/create-runtime.js';
import { type LocalPreviewStack, startLocalPreviewStack } from './local-preview-stack.js';
import { previewRequest } from './preview-request.js';

// Versions uploaded over HTTP, built and run by the local provider, and served through the
// preview gateway by host name, as `pnpm start` does.
describe('local previews over HTTP through the preview gateway', () => {
  let stack: LocalPreviewStack;
  beforeAll(async () => {
    stack = await startLocalPreviewStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  const hostOf = (url: string) => {
    const parsed = new URL(url);
    expect(parsed.hostname).toMatch(/^[a-z0-9-]+\.preview\.localhost$/);
    expect(Number(parsed.port)).toBe(stack.previewPort);
    return parsed.host;
  };

  it('serves a static site at http://<id>.preview.localhost:<port>/', async () => {
    const projectId = await stack.uploadProject('site', sourceFiles({ 'index.html': '<!doctype html><h1>static from Vector</h1>', 'about.html': '<p>about</p>' }));
    const live = await stack.deployPreview(projectId);
    expect(live.status, JSON.stringify(live.error)).toBe('live');
    expect(live.provider).toBe('local');
    const host = hostOf(live.url);
    const page = await previewRequest({ port: stack.previewPort, host });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('static from Vector');
    expect((await previewRequest({ port: stack.previewPort, host, path: '/about.html' })).body).toContain('about');
    expect((await previewRequest({ port: stack.previewPort, host, path: '/missing.png' })).status).toBe(404);

    // Destroyed: the gateway no longer knows it.
    const destroyed = await stack.api('DELETE', `/v1/deployments/${live.id}`);
    expect(destroyed.json.status).toBe('destroyed');
    const gone = await previewRequest({ port: stack.previewPort, host });
    expect(gone.status).toBe(404);
    expect(gone.body).toContain('No such preview');
  });

  it('starts a Node server app on PORT and proxies to it', async () => {
    const projectId = await stack.uploadProject('server', nodeServerApp('hello through the gateway'));
    const live = await stack.deployPreview(projectId);
    expect(live.status, JSON.stringify(live.error)).toBe('live');
    const host = hostOf(live.url);
    const page = await previewRequest({ port: stack.previewPort, host, path: '/any/path?x=1' });
    expect(page.status).toBe(200);
    expect(page.body).toContain('hello through the gateway');
    // The app runs with a minimal environment: none of this process's variables reach it.
    expect(page.body).toContain('leaked=none');
    const posted = await previewRequest({ port: stack.previewPort, host, method: 'POST', body: 'payload', headers: { 'content-type': 'text/plain' } });
    expect(posted.status).toBe(200);
    expect(stack.provider.resolveUpstream(live.providerDeploymentId)).toMatchObject({ host: '127.0.0.1' });
  });

  it('answers 404 for a host that is no preview, or a preview that does not exist', async () => {
    const unknown = await previewRequest({ port: stack.previewPort, host: `lnotadeployment.preview.localhost:${stack.previewPort}` });
    expect(unknown.status).toBe(404);
    expect(unknown.headers['content-type']).toMatch(/^text\/html/);
    expect(unknown.body).toContain('No such preview');
    // The local provider is a preview source as it is.
    const source: PreviewSource = stack.provider;
    expect(source.resolveUpstream('lnotadeployment')).toBeNull();
    const api = await previewRequest({ port: stack.previewPort, host: `127.0.0.1:${stack.previewPort}` });
    expect(api.status).toBe(404);
    expect(api.body).toContain('Not a preview address');
  });
});

describe('the runtime with local builds', () => {
  let buildsDir = '';
  beforeAll(async () => {
    buildsDir = await mkdtemp(join(tmpdir(), 'vector-server-runtime-'));
  });
  afterAll(async () => {
    await rm(buildsDir, { recursive: true, force: true });
  });
  const log = { info: () => undefined, warn: () => undefined };

  it('registers the local provider as the default, static beside it, and hosted providers first when configured', async () => {
    const env = { VECTOR_SQLITE_PATH: ':memory:', VECTOR_BUILDS_DIR: buildsDir, VECTOR_PREVIEW_PORT: '0' };
    const runtime = await createRuntime(loadConfig(env), log, { previewBaseUrl: 'http://{id}.preview.localhost:4999/' });
    try {
      expect([...runtime.vector.plugins.providers.keys()]).toEqual(['local', 'static']);
      expect(runtime.vector.getDeploymentProvider().name).toBe('local');
      expect(runtime.localProvider?.name).toBe('local');
    } finally {
      await runtime.close();
    }
    const hosted = await createRuntime(loadConfig({ ...env, RENDER_API_KEY: 'rnd_test' }), log);
    try {
      expect([...hosted.vector.plugins.providers.keys()]).toEqual(['render', 'local', 'static']);
    } finally {
      await hosted.close();
    }
    const off = await createRuntime(loadConfig({ ...env, VECTOR_LOCAL_BUILDS: 'false' }), log);
    try {
      expect([...off.vector.plugins.providers.keys()]).toEqual(['static']);
      expect(off.localProvider).toBeUndefined();
    } finally {
      await off.close();
    }
  });

  it('refuses split roles while local builds are on, naming VECTOR_ROLE and VECTOR_LOCAL_BUILDS=false', async () => {
    expect(() => loadConfig({ VECTOR_ROLE: 'worker', DATABASE_URL: 'postgres://db/vector' })).toThrow(/VECTOR_ROLE: local builds .*VECTOR_LOCAL_BUILDS=false/);
    // A configuration made by hand gets the same answer from createRuntime, before anything opens.
    const handMade = { ...loadConfig({ VECTOR_ROLE: 'api', DATABASE_URL: 'postgres://127.0.0.1:1/none', VECTOR_LOCAL_BUILDS: 'false' }), localBuilds: true };
    const refused = await createRuntime(handMade, log).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as Error).message).toMatch(/VECTOR_ROLE=all.*VECTOR_LOCAL_BUILDS=false/);
  });
});
